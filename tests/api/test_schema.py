"""The OpenAPI schema is valid, names every API route, and its doc page loads nothing from
another host and runs no inline script (the site's CSP)."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
import yaml
from django.contrib.staticfiles import finders
from django.core.management import call_command
from django.urls import URLPattern

from api import urls as api_urls
from api.views.docs import docs

pytestmark = pytest.mark.django_db

NOT_IN_SCHEMA = {"schema", "docs"}  # the schema itself and its doc page


def test_the_schema_validates_without_a_warning(tmp_path):
    out = tmp_path / "schema.yaml"

    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(out))

    assert yaml.safe_load(out.read_text())["openapi"].startswith("3.")


def _openapi_path(pattern: URLPattern) -> str:
    route = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", str(pattern.pattern))
    return "/api/v1/" + route.replace("{pk}", "{id}")  # drf-spectacular names a pk "id"


def _methods(pattern: URLPattern) -> set[str]:
    view = pattern.callback.cls
    return {m for m in ("get", "post", "put", "patch", "delete") if hasattr(view, m)}


def test_every_api_route_and_method_is_in_the_schema(client):
    schema = client.get("/api/v1/schema/?format=json").json()
    routes = [p for p in api_urls.urlpatterns if p.name not in NOT_IN_SCHEMA]

    assert len(routes) > 20
    for pattern in routes:
        path = _openapi_path(pattern)
        assert path in schema["paths"], path
        assert set(schema["paths"][path]) == _methods(pattern), path
    assert len(schema["paths"]) == len(routes)


def test_each_transition_documents_exactly_its_facts(client):
    from cases.services import TRANSITION_FACTS

    schema = client.get("/api/v1/schema/?format=json").json()
    for name, facts in TRANSITION_FACTS.items():
        operation = schema["paths"][f"/api/v1/cases/{{reference}}/transitions/{name}/"]["post"]
        ref = operation["requestBody"]["content"]["application/json"]["schema"]["$ref"]
        body = schema["components"]["schemas"][ref.rsplit("/", 1)[1]]
        assert set(body["properties"]) == {*facts, "note", "expected_state"}, name


class _Assets(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []
        self.inline_scripts = 0

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "script":
            if attrs.get("src"):
                self.urls.append(attrs["src"])
            else:
                self.inline_scripts += 1
        if tag == "link":
            self.urls.append(attrs["href"])


def test_the_doc_page_uses_our_own_static_files_only(client):
    response = client.get("/api/v1/docs/")
    assets = _Assets()
    assets.feed(response.content.decode())

    assert response.status_code == 200
    assert assets.inline_scripts == 0
    assert len(assets.urls) == 4
    for url in assets.urls:
        assert url.startswith("/static/"), url
        assert finders.find(url.removeprefix("/static/")), url
    assert response.resolver_match.func is docs
