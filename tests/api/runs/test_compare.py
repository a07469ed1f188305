"""Build context, project settings, comparison with a baseline and the quality gate, through the API:
moved lines are not "new + fixed", the baseline is the ancestor on the base branch (else the nearest
earlier base-branch run), and the gate is kept on the run and answered with the upload."""
from __future__ import annotations

import copy
import json
from typing import Any

import boto3

from tests.api.uploads_inline.helpers import fixture, request_body
from tests.conftest import Org, assert_error_shape, body

A, B, C = "a" * 40, "b" * 40, "c" * 40


def send(client: Any, org: Org, product: str, upload_type: str, payload: Any, build: dict | None = None,
         metadata: dict | None = None) -> dict[str, Any]:
    text = json.loads(request_body(upload_type, payload, metadata=metadata))
    if build:
        text["build"] = build
    response = client.http.post(f"/v1/upload/{product}", headers=org.headers, body=json.dumps(text))
    assert response.status_code == 201, response.body
    return body(response)


def changed_export() -> dict[str, Any]:
    """The fixture's export on a branch: every line moved down 10, one error fixed, two issues added."""
    export = copy.deepcopy(fixture("insight", "analysis-results"))
    for diags in export["diagnostics"].values():
        for d in diags:
            if isinstance(d.get("line"), int):
                d["line"] += 10
    fixed = export["diagnostics"]["src/utils/format.ts"].pop(0)
    export["diagnostics"]["src/new.ts"] = [{"severity": "error", "message": "'x' is possibly undefined.", "code": "18048",
                                            "line": 3},
                                           {"severity": "warning", "message": "Unused variable 'y'.", "code": "6133", "line": 9}]
    return export | {"_fixed": fixed["message"]}


def test_a_branch_run_is_compared_with_its_ancestor_on_main_and_gated(client: Any, org: Org) -> None:
    settings = client.http.put("/v1/projects/shop-web", headers=org.headers,
                               body=json.dumps({"baseBranch": "main", "gate": {"maxNew": {"error": 0}}}))
    assert settings.status_code == 200 and body(settings)["baseBranch"] == "main", settings.body
    base = send(client, org, "insight", "analysis-results", fixture("insight", "analysis-results"),
                {"commit": A, "branch": "main"})
    assert base["gate"]["status"] == "no_baseline"
    export = changed_export()
    branch = send(client, org, "insight", "analysis-results", export, {"commit": B, "branch": "feature", "ancestor": A})
    gate = branch["gate"]
    assert gate["status"] == "failed" and gate["reasons"] == ["1 new error (at most 0)"], gate
    assert gate["baseline"]["runId"] == base["runId"] and gate["baseline"]["rule"] == "ancestor"
    compared = body(client.http.get(f"/v1/runs/insight/{branch['runId']}/compare", headers=org.headers))
    assert compared["counts"]["new"] == 2 and compared["counts"]["fixed"] == 1, compared["counts"]
    assert compared["counts"]["newBySeverity"] == {"error": 1, "warning": 1}
    assert compared["baseline"]["exact"] is True and compared["baseline"]["commit"] == A
    assert [f["message"] for f in compared["fixed"]] == [export["_fixed"]]
    paged = body(client.http.get(f"/v1/runs/insight/{branch['runId']}/compare?pageSize=1&page=2", headers=org.headers))
    assert len(paged["new"]) == 1 and paged["fixed"] == []
    listed = body(client.http.get("/v1/runs/insight?branch=feature", headers=org.headers))
    assert [r["runId"] for r in listed["items"]] == [branch["runId"]] and listed["items"][0]["gate"]["status"] == "failed"
    commit = body(client.http.get(f"/v1/commits/{B}?projectId=shop-web", headers=org.headers))
    assert commit["gate"] == "failed" and [r["runId"] for r in commit["runs"]] == [branch["runId"]]


def test_without_an_ancestor_the_nearest_earlier_main_run_is_the_baseline(client: Any, org: Org) -> None:
    first = send(client, org, "insight", "analysis-results", fixture("insight", "analysis-results"),
                 {"commit": A, "branch": "main"})
    same = send(client, org, "insight", "analysis-results", {**fixture("insight", "analysis-results"), "n": 1},
                {"commit": C, "branch": "feature"})
    assert same["gate"]["status"] == "passed"
    assert same["gate"]["baseline"] == {**same["gate"]["baseline"], "runId": first["runId"], "rule": "nearest_earlier",
                                        "exact": False}


def test_guardian_newly_failing_tests_and_a_lighthouse_drop_fail_the_gate(client: Any, org: Org) -> None:
    results = fixture("guardian", "test-results")
    passing = {**results, "tests": [{**t, "status": "passed"} for t in results["tests"]]}
    send(client, org, "guardian", "test-results", {**passing, "testRunId": "tr-main"}, {"commit": A, "branch": "main"})
    broken = copy.deepcopy(passing)
    broken["tests"][0]["status"] = "failed"
    run = send(client, org, "guardian", "test-results", {**broken, "testRunId": "tr-b"},
               {"commit": B, "branch": "feature", "ancestor": A})
    assert run["gate"]["status"] == "failed" and "1 test(s) newly failing" in run["gate"]["reasons"]
    report = fixture("guardian", "lighthouse-report")
    send(client, org, "guardian", "lighthouse-report", report, {"commit": A, "branch": "main"}, {"testRunId": "tr-main"})
    slower = copy.deepcopy(report)
    slower["categories"]["performance"]["score"] = round(report["categories"]["performance"]["score"] - 0.08, 2)
    lh = send(client, org, "guardian", "lighthouse-report", slower, {"commit": B, "branch": "feature", "ancestor": A},
              {"testRunId": "tr-b"})
    assert lh["gate"]["status"] == "failed" and lh["gate"]["counts"]["deltas"]["performance"] == -8.0, lh["gate"]


def test_settings_are_validated_and_need_an_admin_scope(client: Any, org: Org) -> None:
    bad = client.http.put("/v1/projects/shop-web", headers=org.headers,
                          body=json.dumps({"baseBranch": "main", "gate": {"maxNew": {"fatal": 1}}}))
    assert_error_shape(bad, 400)
    made = body(client.http.post("/v1/api-keys", headers=org.headers, body=json.dumps({"name": "ci"})))
    ci = Org("acme", made["key"])
    assert_error_shape(client.http.put("/v1/projects/shop-web", headers=ci.headers, body="{}"), 403)
    assert body(client.http.get("/v1/projects/shop-web", headers=ci.headers))["baseBranch"] == "main"


def test_deleting_a_run_removes_its_comparison_data_and_index_entries(client: Any, org: Org) -> None:
    run = send(client, org, "insight", "analysis-results", fixture("insight", "analysis-results"),
               {"commit": A, "branch": "main"})
    assert client.http.delete(f"/v1/runs/insight/{run['runId']}", headers=org.headers).status_code == 200
    s3 = boto3.client("s3", region_name="us-east-1")
    assert s3.list_objects_v2(Bucket="odavl-test-payloads", Prefix="orgs/acme/runs/").get("KeyCount", 0) == 0
    items = boto3.resource("dynamodb", region_name="us-east-1").Table("odavl-test-runs").scan()["Items"]
    assert not [i for i in items if i["pk"].startswith(("BRANCH#", "COMMIT#"))]
    assert body(client.http.get(f"/v1/commits/{A}?projectId=shop-web", headers=org.headers))["runs"] == []


def test_a_run_uploaded_before_its_baseline_is_gated_again_when_the_baseline_arrives(client: Any, org: Org) -> None:
    early = send(client, org, "insight", "analysis-results", changed_export(),
                 {"commit": B, "branch": "feature", "ancestor": A})
    assert early["gate"]["status"] == "no_baseline"
    base = send(client, org, "insight", "analysis-results", fixture("insight", "analysis-results"),
                {"commit": A, "branch": "main"})
    run = body(client.http.get(f"/v1/runs/insight/{early['runId']}", headers=org.headers))["run"]
    assert run["gate"]["status"] == "failed" and run["gate"]["baseline"]["runId"] == base["runId"]
    assert run["gate"]["baseline"]["rule"] == "ancestor"
    commit = body(client.http.get(f"/v1/commits/{B}?projectId=shop-web", headers=org.headers))
    assert commit["gate"] == "failed"
