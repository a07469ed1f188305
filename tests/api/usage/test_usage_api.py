"""Usage routes and the metering hook through the Chalice test client (in-process moto)."""
from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest

from chalicelib import clock
from chalicelib.services import secrets, usage
from chalicelib.plans import Metric
from chalicelib.store import usage as store
from tests.conftest import assert_error_shape, body, make_org

NOV = datetime(2026, 11, 15, 12, 0, 30, tzinfo=timezone.utc)
QUOTA_HEADERS = ("Retry-After", "X-Quota-Limit", "X-Quota-Remaining", "X-Quota-Reset", "RateLimit-Policy", "RateLimit")


def calls(org_id: str, period: str = "2026-11") -> int:
    return store.counters(org_id, period).get("api_calls", 0)


def test_metered_request_counts_once_and_carries_quota_headers(client, aws):
    free = make_org("tiny", "free")
    with clock.frozen(NOV):
        response = client.http.get("/v1/runs/insight", headers=free.headers)
    assert response.status_code == 200
    assert calls("tiny") == 1
    assert response.headers["X-Quota-Limit"] == "100"
    assert response.headers["X-Quota-Remaining"] == "99"
    assert response.headers["X-Quota-Reset"] == str(int(datetime(2026, 12, 1, tzinfo=timezone.utc).timestamp()))
    assert response.headers["RateLimit-Policy"] == "100;w=60, 100;w=2592000"
    assert response.headers["RateLimit"] == "limit=100, remaining=99, reset=30"


def test_unauthenticated_and_forbidden_answers_count_nothing(client, aws):
    free = make_org("tiny", "free")
    with clock.frozen(NOV):
        assert client.http.get("/v1/runs/insight").status_code == 401
        bad = {"Authorization": "Bearer odk_nope_nope"}
        assert client.http.get("/v1/runs/insight", headers=bad).status_code == 401
        # create a key without usage:read; its 403 counts nothing
        made = client.http.post("/v1/api-keys", headers=free.headers,
                                body=json.dumps({"name": "ci", "scopes": ["insight:write"]}))
        assert made.status_code == 201, made.body
        limited = {"Authorization": f"Bearer {body(made)['key']}"}
        assert_error_shape(client.http.get("/v1/usage", headers=limited), 403)
    assert calls("tiny") == 1  # the key creation only


def test_monthly_api_quota_refuses_with_headers_and_one_refused_write(client, aws):
    free = make_org("tiny", "free")
    with clock.frozen(NOV):
        store.consume("tiny", "api_calls", 100, 100, "2026-11")
        response = client.http.get("/v1/runs/insight", headers=free.headers)
    payload = assert_error_shape(response, 429, "quota_exceeded")
    assert payload["error"]["details"]["metric"] == "api_calls"
    for name in QUOTA_HEADERS:
        assert name in response.headers, name
    assert response.headers["X-Quota-Remaining"] == "0"
    seconds = int((datetime(2026, 12, 1, tzinfo=timezone.utc) - NOV).total_seconds())
    assert response.headers["Retry-After"] == str(seconds)
    assert response.headers["RateLimit"] == f"limit=100, remaining=0, reset={seconds}"
    assert calls("tiny") == 100
    # the refusal counted nothing in the key's rate window either (both or neither)
    assert store.rate_used(secrets.parse(free.key).key_id, "202611151200") == 0


def test_new_month_starts_at_zero_without_any_schedule(client, aws):
    free = make_org("tiny", "free")
    with clock.frozen(datetime(2026, 11, 30, 23, 59, 59, tzinfo=timezone.utc)):
        store.consume("tiny", "api_calls", 100, 100, "2026-11")
        assert_error_shape(client.http.get("/v1/runs/insight", headers=free.headers), 429, "quota_exceeded")
    with clock.frozen(datetime(2026, 12, 1, 0, 0, 0, tzinfo=timezone.utc)):
        assert client.http.get("/v1/runs/insight", headers=free.headers).status_code == 200
    assert calls("tiny", "2026-12") == 1


def test_rate_limit_per_key_per_minute(client, aws, monkeypatch):
    from chalicelib.plans import PLANS, Plan, PlanLimits

    free = PLANS[Plan.FREE]
    monkeypatch.setitem(PLANS, Plan.FREE, PlanLimits(limits=free.limits, requests_per_minute=3, retention_days=30))
    org = make_org("tiny", "free")
    with clock.frozen(NOV):
        statuses = [client.http.get("/v1/runs/insight", headers=org.headers).status_code for _ in range(3)]
        refused = client.http.get("/v1/runs/insight", headers=org.headers)
    assert statuses == [200, 200, 200]
    assert_error_shape(refused, 429, "rate_limited")
    assert refused.headers["Retry-After"] == "30"
    assert refused.headers["RateLimit-Policy"] == "3;w=60"
    assert refused.headers["RateLimit"] == "limit=3, remaining=0, reset=30"
    assert calls("tiny") == 3  # the refused request is not counted as an API call
    with clock.frozen(NOV.replace(minute=1)):
        assert client.http.get("/v1/runs/insight", headers=org.headers).status_code == 200


def test_get_usage_shows_limits_percent_and_warnings(client, aws):
    free = make_org("tiny", "free")
    with clock.frozen(NOV):
        store.consume("tiny", "insight_analyses", 10, 10, "2026-11")
        store.consume("tiny", "guardian_tests", 16, 20, "2026-11")
        store.consume("tiny", "autopilot_runs", 4, 5, "2026-11")
        usage.add_storage("tiny", "FREE", 1024)
        response = client.http.get("/v1/usage", headers=free.headers)
    assert response.status_code == 200, response.body
    view = body(response)
    assert view["plan"] == "FREE" and view["period"] == "2026-11"
    assert view["resetsAt"] == "2026-12-01T00:00:00.000Z"
    m = view["metrics"]
    assert m["insight_analyses"] == {"used": 10, "limit": 10, "remaining": 0, "percent": 100.0, "warning": 100}
    assert m["autopilot_runs"]["warning"] == 80
    assert m["guardian_tests"]["warning"] == 80 and m["guardian_tests"]["percent"] == 80.0
    # reading one's own usage is never an API call
    assert m["api_calls"] == {"used": 0, "limit": 100, "remaining": 100, "percent": 0.0, "warning": None}
    assert m["storage_bytes"]["used"] == 1024


def test_unlimited_plan_has_null_limits(client, org):
    response = client.http.get("/v1/usage", headers=org.headers)
    m = body(response)["metrics"]
    assert m["insight_analyses"]["limit"] is None and m["insight_analyses"]["warning"] is None
    assert m["api_calls"]["limit"] == 10_000


def test_increment_counts_an_event_once(client, org):
    req = {"metric": "guardian_tests", "amount": 3, "eventId": "evt-1"}
    first = client.http.post("/v1/usage/increment", headers=org.headers, body=json.dumps(req))
    assert first.status_code == 200, first.body
    assert body(first)["counted"] is True and body(first)["used"] == 3
    for _ in range(4):
        again = client.http.post("/v1/usage/increment", headers=org.headers, body=json.dumps(req))
        assert body(again)["counted"] is False and body(again)["used"] == 3
    other = client.http.post("/v1/usage/increment", headers=org.headers, body=json.dumps({**req, "amount": 4}))
    assert_error_shape(other, 409, "idempotency_conflict")


def test_increment_over_quota_is_429_and_counts_nothing(client, aws):
    free = make_org("tiny", "free")
    req = {"metric": "insight_analyses", "amount": 11, "eventId": "big"}
    response = client.http.post("/v1/usage/increment", headers=free.headers, body=json.dumps(req))
    assert_error_shape(response, 429, "quota_exceeded")
    assert store.get_event("tiny", "big") is None
    assert store.counters("tiny", usage.quota.periods.period_of()).get("insight_analyses", 0) == 0


@pytest.mark.parametrize("req", [
    {"metric": "nope", "eventId": "e"}, {"metric": "api_calls", "amount": 0, "eventId": "e"},
    {"metric": "api_calls", "eventId": ""}, {"metric": "storage_bytes", "eventId": "e"},
])
def test_increment_bad_input_is_400_and_changes_nothing(client, org, req):
    response = client.http.post("/v1/usage/increment", headers=org.headers, body=json.dumps(req))
    assert_error_shape(response, 400)
    assert store.get_event("acme", "e") is None


def test_increment_requires_usage_admin(client, org):
    made = client.http.post("/v1/api-keys", headers=org.headers, body=json.dumps({"name": "r", "scopes": ["usage:read"]}))
    headers = {"Authorization": f"Bearer {body(made)['key']}", "Content-Type": "application/json"}
    req = {"metric": "guardian_tests", "eventId": "x"}
    assert_error_shape(client.http.post("/v1/usage/increment", headers=headers, body=json.dumps(req)), 403)
    assert store.get_event("acme", "x") is None


def test_history_lists_closed_and_current_periods(client, aws):
    from chalicelib.services.usage import rollover

    free = make_org("tiny", "free")
    with clock.frozen(datetime(2026, 10, 20, tzinfo=timezone.utc)):
        usage.consume("tiny", "FREE", Metric.GUARDIAN_TESTS, 7)
    with clock.frozen(NOV):
        first = rollover.close_period()
        second = rollover.close_period()
        response = client.http.get("/v1/usage/history?months=3", headers=free.headers)
        bad = client.http.get("/v1/usage/history?months=25", headers=free.headers)
    assert first["period"] == "2026-10" and first["historyWritten"] >= 1 and first["countersExpired"] >= 1
    assert second["historyWritten"] == 0 and second["countersExpired"] == 0
    items = body(response)["items"]
    assert [i["period"] for i in items] == ["2026-11", "2026-10"]
    assert items[0]["current"] and not items[0]["closed"]
    assert items[1]["closed"] and items[1]["metrics"]["guardian_tests"] == 7 and items[1]["limits"]["guardian_tests"] == 20
    assert_error_shape(bad, 400, "validation_failed")


def test_monthly_schedule_closes_the_previous_month(client, aws):
    make_org("tiny", "free")
    with clock.frozen(datetime(2026, 10, 3, tzinfo=timezone.utc)):
        usage.consume("tiny", "FREE", Metric.AUTOPILOT_RUNS, 2)
    event = client.events.generate_cw_event(source="aws.events", detail_type="Scheduled Event", detail={}, resources=[])
    with clock.frozen(datetime(2026, 11, 1, tzinfo=timezone.utc)):
        first = client.lambda_.invoke("monthly_rollover", event).payload
        second = client.lambda_.invoke("monthly_rollover", event).payload
    assert first["period"] == "2026-10" and first["historyWritten"] == 1
    assert second["historyWritten"] == 0 and second["countersExpired"] == 0
    assert store.history("tiny", "2026-10", "2026-10")[0]["metrics"]["autopilot_runs"] == 2


WRITES = ("PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem", "TransactWriteItems")


def writes_during(fn) -> list[str]:
    """The DynamoDB write calls made while ``fn`` runs."""
    return [call for call in aws_calls_during(fn) if call.split(".")[-1] in WRITES]


def aws_calls_during(fn) -> list[str]:
    """Every AWS call (``service.Operation``) the service's clients make while ``fn`` runs."""
    from chalicelib.store import clients

    seen: list[str] = []

    def record(event_name: str, **_: object) -> None:
        seen.append(event_name.removeprefix("before-call."))

    hooked = clients.all_clients()
    for c in hooked:
        c.meta.events.register("before-call", record)
    try:
        fn()
    finally:
        for c in hooked:
            c.meta.events.unregister("before-call", record)
    return seen


def test_a_blocked_client_costs_one_refused_conditional_write(client, aws, monkeypatch):
    from chalicelib.plans import PLANS, Plan, PlanLimits

    free = PLANS[Plan.FREE]
    monkeypatch.setitem(PLANS, Plan.FREE, PlanLimits(limits=free.limits, requests_per_minute=2, retention_days=30))
    org = make_org("tiny", "free")
    with clock.frozen(NOV):
        for _ in range(2):  # fills the minute window (and sets the key's last-used time)
            assert client.http.get("/v1/runs/insight", headers=org.headers).status_code == 200
        rate_blocked = writes_during(lambda: assert_error_shape(
            client.http.get("/v1/runs/insight", headers=org.headers), 429, "rate_limited"))
    with clock.frozen(NOV.replace(second=50)):
        store.consume("tiny", "api_calls", 98, 100, "2026-11")
    with clock.frozen(NOV.replace(minute=1, second=10)):
        quota_blocked = writes_during(lambda: assert_error_shape(
            client.http.get("/v1/runs/insight", headers=org.headers), 429, "quota_exceeded"))
    assert rate_blocked == ["dynamodb.TransactWriteItems"]
    assert quota_blocked == ["dynamodb.TransactWriteItems"]


def test_plan_change_takes_effect_on_the_next_request(client, aws):
    from chalicelib.services import orgs

    free = make_org("tiny", "free")
    with clock.frozen(NOV):
        store.consume("tiny", "api_calls", 100, 100, "2026-11")
        assert_error_shape(client.http.get("/v1/runs/insight", headers=free.headers), 429, "quota_exceeded")
        orgs.set_plan("tiny", "pro")
        upgraded = client.http.get("/v1/runs/insight", headers=free.headers)
        view = client.http.get("/v1/usage", headers=free.headers)
    assert upgraded.status_code == 200
    assert upgraded.headers["X-Quota-Limit"] == "10000" and upgraded.headers["X-Quota-Remaining"] == "9899"
    assert body(view)["metrics"]["api_calls"]["used"] == 101  # the refused call counted nothing


def test_requests_either_side_of_midnight_utc_on_the_1st_land_in_different_periods(client, aws):
    free = make_org("tiny", "free")
    with clock.frozen(datetime(2026, 11, 30, 23, 59, 59, tzinfo=timezone.utc)):
        client.http.get("/v1/runs/insight", headers=free.headers)
        last = body(client.http.get("/v1/usage", headers=free.headers))
    with clock.frozen(datetime(2026, 12, 1, 0, 0, 0, tzinfo=timezone.utc)):
        client.http.get("/v1/runs/insight", headers=free.headers)
        first = body(client.http.get("/v1/usage", headers=free.headers))
    assert (last["period"], first["period"]) == ("2026-11", "2026-12")
    assert last["metrics"]["api_calls"]["used"] == 1 and first["metrics"]["api_calls"]["used"] == 1
    assert calls("tiny", "2026-11") == 1 and calls("tiny", "2026-12") == 1
