"""Build context from each CI's own variables (the names each provider really sets), from git, and
ODAVL_BUILD_* overrides; remote URLs without credentials; notes for shallow clones and detached HEADs."""
from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from odavl_cli.build import detect, strip_credentials

SHA = "0123456789abcdef0123456789abcdef01234567"

CASES = {
    "github": ({"GITHUB_ACTIONS": "true", "GITHUB_SHA": SHA, "GITHUB_REF": "refs/pull/42/merge", "GITHUB_HEAD_REF": "feat/x",
                "GITHUB_REF_NAME": "42/merge", "GITHUB_SERVER_URL": "https://github.com", "GITHUB_REPOSITORY": "acme/shop",
                "GITHUB_RUN_ID": "99", "GITHUB_ACTOR": "ada"},
               {"provider": "github-actions", "commit": SHA, "branch": "feat/x", "pr": "42",
                "buildUrl": "https://github.com/acme/shop/actions/runs/99"}),
    "gitlab": ({"GITLAB_CI": "true", "CI_COMMIT_SHA": SHA, "CI_COMMIT_REF_NAME": "feat/x",
                "CI_MERGE_REQUEST_SOURCE_BRANCH_NAME": "feat/x", "CI_MERGE_REQUEST_IID": "7",
                "CI_JOB_URL": "https://gitlab.com/acme/shop/-/jobs/5", "CI_MERGE_REQUEST_DIFF_BASE_SHA": "a" * 40},
               {"provider": "gitlab-ci", "commit": SHA, "branch": "feat/x", "pr": "7", "ancestor": "a" * 40,
                "buildUrl": "https://gitlab.com/acme/shop/-/jobs/5"}),
    "circleci": ({"CIRCLECI": "true", "CIRCLE_SHA1": SHA, "CIRCLE_BRANCH": "feat/x",
                  "CIRCLE_PULL_REQUEST": "https://github.com/acme/shop/pull/12",
                  "CIRCLE_BUILD_URL": "https://circleci.com/gh/acme/shop/3"},
                 {"provider": "circleci", "commit": SHA, "branch": "feat/x", "pr": "12",
                  "buildUrl": "https://circleci.com/gh/acme/shop/3"}),
    "jenkins": ({"JENKINS_URL": "https://ci.acme.dev/", "GIT_COMMIT": SHA, "GIT_BRANCH": "origin/feat/x",
                 "BUILD_URL": "https://ci.acme.dev/job/shop/8/", "CHANGE_ID": "5"},
                {"provider": "jenkins", "commit": SHA, "branch": "feat/x", "pr": "5",
                 "buildUrl": "https://ci.acme.dev/job/shop/8/"}),
    "azure": ({"TF_BUILD": "True", "BUILD_SOURCEVERSION": SHA, "BUILD_SOURCEBRANCH": "refs/heads/feat/x",
               "SYSTEM_COLLECTIONURI": "https://dev.azure.com/acme/", "SYSTEM_TEAMPROJECT": "shop", "BUILD_BUILDID": "77",
               "SYSTEM_PULLREQUEST_PULLREQUESTNUMBER": "3"},
              {"provider": "azure-pipelines", "commit": SHA, "branch": "feat/x", "pr": "3",
               "buildUrl": "https://dev.azure.com/acme/shop/_build/results?buildId=77"}),
    "bitbucket": ({"BITBUCKET_BUILD_NUMBER": "31", "BITBUCKET_COMMIT": SHA, "BITBUCKET_BRANCH": "feat/x",
                   "BITBUCKET_PR_ID": "9", "BITBUCKET_GIT_HTTP_ORIGIN": "http://bitbucket.org/acme/shop"},
                  {"provider": "bitbucket-pipelines", "commit": SHA, "branch": "feat/x", "pr": "9",
                   "buildUrl": "http://bitbucket.org/acme/shop/addon/pipelines/home#!/results/31"}),
    "buildkite": ({"BUILDKITE": "true", "BUILDKITE_COMMIT": SHA, "BUILDKITE_BRANCH": "feat/x",
                   "BUILDKITE_PULL_REQUEST": "false", "BUILDKITE_BUILD_URL": "https://buildkite.com/acme/shop/builds/4"},
                  {"provider": "buildkite", "commit": SHA, "branch": "feat/x",
                   "buildUrl": "https://buildkite.com/acme/shop/builds/4"}),
}


@pytest.mark.parametrize("provider", sorted(CASES))
def test_each_ci_is_read_from_its_own_variables(provider: str, tmp_path: Path) -> None:
    env, expected = CASES[provider]
    found = detect(tmp_path, "main", env).fields  # not a git repository: only the CI's word
    assert {k: found.get(k) for k in expected} == expected
    if provider == "buildkite":
        assert "pr" not in found  # "false" means no pull request


def git(root: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=root, check=True, capture_output=True, text=True).stdout.strip()


def repo(root: Path) -> Path:
    root.mkdir()
    git(root, "init", "-q", "-b", "main")
    git(root, "config", "user.email", "dev@acme.dev")
    git(root, "config", "user.name", "Dev")
    (root / "a.txt").write_text("1")
    git(root, "add", ".")
    git(root, "commit", "-q", "-m", "first")
    (root / "a.txt").write_text("2")
    git(root, "commit", "-q", "-am", "second")
    return root


def test_git_gives_commit_branch_and_the_ancestor_by_lighthouse_cis_rule(tmp_path: Path) -> None:
    root = repo(tmp_path / "r")
    on_main = detect(root, "main", {}).fields
    assert on_main["commit"] == git(root, "rev-parse", "HEAD") and on_main["branch"] == "main"
    assert on_main["ancestor"] == git(root, "rev-parse", "HEAD^") and on_main["message"] == "second"
    base = git(root, "rev-parse", "HEAD")
    git(root, "checkout", "-q", "-b", "feat")
    (root / "b.txt").write_text("x")
    git(root, "add", ".")
    git(root, "commit", "-q", "-m", "feature")
    on_branch = detect(root, "main", {}).fields
    assert on_branch["branch"] == "feat" and on_branch["ancestor"] == base  # merge-base with main
    overridden = detect(root, "main", {"ODAVL_BUILD_BRANCH": "release", "ODAVL_BUILD_ANCESTOR": "f" * 40,
                                       "ODAVL_BUILD_URL": "https://user:token@ci.acme.dev/run/1"}).fields
    assert overridden["branch"] == "release" and overridden["ancestor"] == "f" * 40
    assert overridden["buildUrl"] == "https://ci.acme.dev/run/1"


def test_detached_heads_and_shallow_clones_give_a_note_not_a_failure(tmp_path: Path) -> None:
    root = repo(tmp_path / "r")
    git(root, "checkout", "-q", "--detach", "HEAD")
    detached = detect(root, "main", {})
    assert "branch" not in detached.fields and any("detached" in n for n in detached.notes)
    shallow = tmp_path / "shallow"
    subprocess.run(["git", "clone", "-q", "--depth", "1", f"file://{root}", str(shallow)], check=True)
    found = detect(shallow, "main", {})
    assert found.fields["commit"] and any("shallow" in n for n in found.notes)


def test_credentials_never_leave_a_remote_url() -> None:
    assert strip_credentials("https://x-access-token:ghp_123@github.com/acme/shop.git") == "https://github.com/acme/shop.git"
    assert strip_credentials("https://github.com/acme/shop") == "https://github.com/acme/shop"
