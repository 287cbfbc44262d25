"""Each token has its own request budget (settings); over it, 429 with Retry-After."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from .conftest import token_client

pytestmark = pytest.mark.django_db


@pytest.fixture
def budgets(settings):
    def set_rates(**rates):
        settings.REST_FRAMEWORK = {
            **settings.REST_FRAMEWORK,
            "DEFAULT_THROTTLE_RATES": {
                "api_token": "1000/minute",
                "api_session": "1000/minute",
                "api_anonymous": "1000/minute",
                **rates,
            },
        }

    return set_rates


def test_a_token_over_its_budget_gets_429_with_retry_after(budgets, doctor1):
    budgets(api_token="3/minute")
    client = token_client(doctor1)

    answers = [client.get("/api/v1/cases/").status_code for _ in range(4)]

    assert answers == [200, 200, 200, 429]
    response = client.get("/api/v1/cases/")
    assert response.status_code == 429
    assert 0 < int(response["Retry-After"]) <= 60


def test_each_token_has_its_own_budget_even_for_one_user(budgets, doctor1, doctor2):
    budgets(api_token="2/minute")
    erp, tracker, other = (
        token_client(doctor1, "erp"),
        token_client(doctor1, "tracker"),
        token_client(doctor2),
    )
    for _ in range(2):
        erp.get("/api/v1/cases/")

    assert erp.get("/api/v1/cases/").status_code == 429
    assert tracker.get("/api/v1/cases/").status_code == 200
    assert other.get("/api/v1/cases/").status_code == 200


def test_a_browser_session_has_its_own_budget(budgets, doctor1):
    budgets(api_token="1/minute", api_session="2/minute")
    token = token_client(doctor1)
    token.get("/api/v1/cases/")
    session = APIClient()
    session.force_login(doctor1)

    assert token.get("/api/v1/cases/").status_code == 429
    assert [session.get("/api/v1/cases/").status_code for _ in range(3)] == [200, 200, 429]


def test_the_open_schema_is_limited_per_address(budgets, db):
    budgets(api_anonymous="2/minute")
    client = APIClient()

    assert [client.get("/api/v1/schema/").status_code for _ in range(3)] == [200, 200, 429]
