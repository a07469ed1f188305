"""The build an upload comes from: commit, branch, ancestor, PR, build URL, read from the CI's own
environment (one small adapter per provider, with the variables each really sets), else from git,
and ``ODAVL_BUILD_*`` overriding any field. The ancestor follows Lighthouse CI's rule: an explicit
value; on the base branch ``HEAD^``; else ``git merge-base HEAD origin/<base>``. A shallow clone or
a detached HEAD gives a note, never a failed upload."""
from __future__ import annotations

import os
import re
import subprocess
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

Env = Mapping[str, str]
# Each field and the variable that overrides it.
OVERRIDES = {"commit": "ODAVL_BUILD_COMMIT", "branch": "ODAVL_BUILD_BRANCH", "ancestor": "ODAVL_BUILD_ANCESTOR",
             "message": "ODAVL_BUILD_MESSAGE", "author": "ODAVL_BUILD_AUTHOR", "buildUrl": "ODAVL_BUILD_URL",
             "pr": "ODAVL_BUILD_PR", "provider": "ODAVL_BUILD_PROVIDER"}


@dataclass
class Build:
    fields: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def payload(self) -> dict[str, str] | None:
        found = {k: v for k, v in self.fields.items() if v}
        return found or None


def _github(env: Env) -> dict[str, str] | None:
    if env.get("GITHUB_ACTIONS") != "true":
        return None
    pr = ""
    ref = env.get("GITHUB_REF", "")
    match = re.match(r"refs/pull/(\d+)/", ref)
    if match:
        pr = match.group(1)
    branch = env.get("GITHUB_HEAD_REF") or env.get("GITHUB_REF_NAME", "")
    url = ""
    if env.get("GITHUB_SERVER_URL") and env.get("GITHUB_REPOSITORY") and env.get("GITHUB_RUN_ID"):
        url = f"{env['GITHUB_SERVER_URL']}/{env['GITHUB_REPOSITORY']}/actions/runs/{env['GITHUB_RUN_ID']}"
    # On a pull_request event GITHUB_SHA is the merge commit; the head commit is the branch's.
    return {"provider": "github-actions", "commit": env.get("GITHUB_SHA", ""), "branch": branch, "pr": pr, "buildUrl": url,
            "author": env.get("GITHUB_ACTOR", "")}


def _gitlab(env: Env) -> dict[str, str] | None:
    if env.get("GITLAB_CI") != "true":
        return None
    return {"provider": "gitlab-ci", "commit": env.get("CI_COMMIT_SHA", ""),
            "branch": env.get("CI_MERGE_REQUEST_SOURCE_BRANCH_NAME") or env.get("CI_COMMIT_BRANCH") or env.get("CI_COMMIT_REF_NAME", ""),
            "pr": env.get("CI_MERGE_REQUEST_IID", ""), "buildUrl": env.get("CI_JOB_URL") or env.get("CI_PIPELINE_URL", ""),
            "message": env.get("CI_COMMIT_MESSAGE", ""), "author": env.get("CI_COMMIT_AUTHOR", ""),
            "ancestor": env.get("CI_MERGE_REQUEST_DIFF_BASE_SHA", "")}


def _circleci(env: Env) -> dict[str, str] | None:
    if env.get("CIRCLECI") != "true":
        return None
    pr = env.get("CIRCLE_PR_NUMBER") or (env.get("CIRCLE_PULL_REQUEST", "").rsplit("/", 1)[-1] if env.get("CIRCLE_PULL_REQUEST") else "")
    return {"provider": "circleci", "commit": env.get("CIRCLE_SHA1", ""), "branch": env.get("CIRCLE_BRANCH", ""),
            "pr": pr, "buildUrl": env.get("CIRCLE_BUILD_URL", ""), "author": env.get("CIRCLE_USERNAME", "")}


def _jenkins(env: Env) -> dict[str, str] | None:
    if not env.get("JENKINS_URL"):
        return None
    branch = env.get("CHANGE_BRANCH") or env.get("BRANCH_NAME") or env.get("GIT_BRANCH", "")
    return {"provider": "jenkins", "commit": env.get("GIT_COMMIT", ""), "branch": branch.removeprefix("origin/"),
            "pr": env.get("CHANGE_ID", ""), "buildUrl": env.get("BUILD_URL", "")}


def _azure(env: Env) -> dict[str, str] | None:
    if env.get("TF_BUILD") != "True":
        return None
    branch = env.get("SYSTEM_PULLREQUEST_SOURCEBRANCH") or env.get("BUILD_SOURCEBRANCH", "")
    url = ""
    if env.get("SYSTEM_COLLECTIONURI") and env.get("SYSTEM_TEAMPROJECT") and env.get("BUILD_BUILDID"):
        url = f"{env['SYSTEM_COLLECTIONURI']}{env['SYSTEM_TEAMPROJECT']}/_build/results?buildId={env['BUILD_BUILDID']}"
    return {"provider": "azure-pipelines", "commit": env.get("BUILD_SOURCEVERSION", ""),
            "branch": re.sub(r"^refs/heads/", "", branch), "pr": env.get("SYSTEM_PULLREQUEST_PULLREQUESTNUMBER")
            or env.get("SYSTEM_PULLREQUEST_PULLREQUESTID", ""), "buildUrl": url,
            "message": env.get("BUILD_SOURCEVERSIONMESSAGE", ""), "author": env.get("BUILD_REQUESTEDFOR", "")}


def _bitbucket(env: Env) -> dict[str, str] | None:
    if not env.get("BITBUCKET_BUILD_NUMBER"):
        return None
    url = ""
    if env.get("BITBUCKET_GIT_HTTP_ORIGIN"):
        url = f"{env['BITBUCKET_GIT_HTTP_ORIGIN']}/addon/pipelines/home#!/results/{env['BITBUCKET_BUILD_NUMBER']}"
    return {"provider": "bitbucket-pipelines", "commit": env.get("BITBUCKET_COMMIT", ""),
            "branch": env.get("BITBUCKET_BRANCH", ""), "pr": env.get("BITBUCKET_PR_ID", ""), "buildUrl": url}


def _buildkite(env: Env) -> dict[str, str] | None:
    if env.get("BUILDKITE") != "true":
        return None
    pr = env.get("BUILDKITE_PULL_REQUEST", "")
    return {"provider": "buildkite", "commit": env.get("BUILDKITE_COMMIT", ""), "branch": env.get("BUILDKITE_BRANCH", ""),
            "pr": "" if pr == "false" else pr, "buildUrl": env.get("BUILDKITE_BUILD_URL", ""),
            "message": env.get("BUILDKITE_MESSAGE", ""), "author": env.get("BUILDKITE_BUILD_AUTHOR", "")}


# One adapter per CI provider: the first that recognises its environment wins.
PROVIDERS: tuple[Callable[[Env], dict[str, str] | None], ...] = (
    _github, _gitlab, _circleci, _jenkins, _azure, _bitbucket, _buildkite)


def _git(root: Path, *args: str) -> str | None:
    try:
        out = subprocess.run(["git", *args], cwd=root, capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return out.stdout.strip() if out.returncode == 0 else None


def strip_credentials(url: str) -> str:
    """A remote URL without any user or password (``https://token@host/...`` → ``https://host/...``)."""
    return re.sub(r"^(\w+://)[^/@]+@", r"\1", url)


def detect(root: Path, base_branch: str = "main", env: Env | None = None) -> Build:
    """The build of the workspace at ``root``: CI variables, else git, then ODAVL_BUILD_* overrides."""
    env = os.environ if env is None else env
    build = Build()
    for adapter in PROVIDERS:
        found = adapter(env)
        if found:
            build.fields.update({k: v for k, v in found.items() if v})
            break
    if _git(root, "rev-parse", "--is-inside-work-tree") == "true":
        if not build.fields.get("commit"):
            build.fields["commit"] = _git(root, "rev-parse", "HEAD") or ""
        if not build.fields.get("branch"):
            branch = _git(root, "rev-parse", "--abbrev-ref", "HEAD") or ""
            if branch == "HEAD":
                build.notes.append("detached HEAD: no branch known (set ODAVL_BUILD_BRANCH)")
            else:
                build.fields["branch"] = branch
        for key, args in (("message", ("log", "-1", "--format=%s")), ("author", ("log", "-1", "--format=%an"))):
            if not build.fields.get(key):
                build.fields[key] = _git(root, *args) or ""
        override = env.get("ODAVL_BUILD_ANCESTOR")
        if not override and not build.fields.get("ancestor"):
            build.fields["ancestor"] = _ancestor(root, build, base_branch)
    for name, variable in OVERRIDES.items():
        value = env.get(variable)
        if value:
            build.fields[name] = value
    if build.fields.get("buildUrl"):
        build.fields["buildUrl"] = strip_credentials(build.fields["buildUrl"])
    return build


def _ancestor(root: Path, build: Build, base_branch: str) -> str:
    if _git(root, "rev-parse", "--is-shallow-repository") == "true":
        build.notes.append("shallow clone: the ancestor may be missing (fetch with depth 2 or more)")
    if build.fields.get("branch") == base_branch:
        parent = _git(root, "rev-parse", "HEAD^")
        if not parent:
            build.notes.append("no parent commit: nothing to compare with")
        return parent or ""
    for ref in (f"origin/{base_branch}", base_branch):
        found = _git(root, "merge-base", "HEAD", ref)
        if found:
            return found
    build.notes.append(f"no merge base with {base_branch}: compared with the newest {base_branch} run")
    return ""


def summary_line(gate: dict[str, Any] | None) -> str | None:
    """``2 new (1 error), 1 fixed vs main@1a2b3c4`` — the comparison of one upload, in a line."""
    if not gate:
        return None
    base = gate.get("baseline") or {}
    counts = gate.get("counts") or {}
    if gate.get("status") == "no_baseline" or not base:
        return "no baseline yet (first run on the base branch?)"
    where = f"{base.get('branch') or 'base'}@{(base.get('commit') or base.get('runId') or '')[:7]}"
    if "newBySeverity" in counts:
        errors = counts["newBySeverity"].get("error", 0)
        head = f"{counts.get('new', 0)} new" + (f" ({errors} error{'s' if errors != 1 else ''})" if errors else "")
        text = f"{head}, {counts.get('fixed', 0)} fixed vs {where}"
    elif "newlyFailing" in counts:
        text = f"{counts['newlyFailing']} newly failing, {counts.get('fixed', 0)} fixed vs {where}"
    elif "deltas" in counts:
        text = ", ".join(f"{k} {v:+g}" for k, v in counts["deltas"].items()) + f" vs {where}"
    else:
        text = f"{counts.get('new', 0)} new, {counts.get('fixed', 0)} fixed vs {where}"
    verdict = "gate failed: " + "; ".join(gate.get("reasons") or []) if gate.get("status") == "failed" else "gate passed"
    return f"{text} — {verdict}"
