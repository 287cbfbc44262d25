from __future__ import annotations

import pytest

from .conftest import PASSWORD, parse

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("persona", "home"),
    [("doctor1", "/portal/doctor/"), ("hospital1", "/portal/hospital/")],
)
def test_each_role_lands_on_its_home_after_login(client, request, persona, home):
    user = request.getfixturevalue(persona)
    response = client.post("/accounts/login/", {"username": user.username, "password": PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == "/portal/"
    response = client.get("/portal/")
    assert response.status_code == 302
    assert response["Location"] == home
    assert client.get(home).status_code == 200


def test_login_keeps_next(client, doctor1):
    response = client.post(
        "/accounts/login/?next=/portal/doctor/",
        {"username": "doctor1", "password": PASSWORD, "next": "/portal/doctor/"},
    )
    assert response["Location"] == "/portal/doctor/"


def test_wrong_password_shows_an_error(client, doctor1):
    response = client.post("/accounts/login/", {"username": "doctor1", "password": "nope"})
    assert response.status_code == 200
    assert "correct username and password" in response.content.decode()


def test_admin_login_redirects_to_the_shared_login_keeping_next(client):
    response = client.get("/admin/login/?next=/admin/cases/case/")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=%2Fadmin%2Fcases%2Fcase%2F"


def test_admin_asks_anonymous_users_to_sign_in_on_the_shared_page(client):
    response = client.get("/admin/", follow=True)
    assert response.redirect_chain[-1][0].startswith("/accounts/login/?next=")
    assert response.templates[0].name == "registration/login.html"


def test_a_user_without_a_role_gets_a_plain_403(client, outsider):
    client.force_login(outsider)
    response = client.get("/portal/")
    assert response.status_code == 403
    assert "no portal access" in response.content.decode()


def test_anonymous_portal_visit_goes_to_login(client):
    response = client.get("/portal/")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/portal/"


def test_login_page_labels_its_inputs_and_carries_csrf(client):
    page = parse(client.get("/accounts/login/"))
    visible = [i for i in page.inputs if i.get("type") != "hidden"]
    assert {i["name"] for i in visible} == {"username", "password", "otp_token"}
    assert all(i["id"] in page.label_for for i in visible)
    assert all(form["csrf"] for form in page.forms if form["method"] == "post")


def test_logout_is_post_only_and_returns_to_login(client, doctor1):
    client.force_login(doctor1)
    assert client.get("/accounts/logout/").status_code == 405
    response = client.post("/accounts/logout/")
    assert response["Location"] == "/accounts/login/"
    assert client.get("/portal/").status_code == 302


def test_header_shows_who_is_signed_in_with_a_logout_button(client, doctor1):
    client.force_login(doctor1)
    response = client.get("/portal/doctor/")
    page = parse(response)
    assert "Signed in as" in response.content.decode()
    assert any(f["action"] == "/accounts/logout/" and f["csrf"] for f in page.forms)
