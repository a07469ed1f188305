"""Operator commands, run against the stage's own tables:

    python -m chalicelib.admin create-org acme --plan free
    python -m chalicelib.admin create-key acme [--scopes runs:read,keys:admin] [--name NAME]
    python -m chalicelib.admin set-plan acme --plan pro
    python -m chalicelib.admin rollover [--period 2026-10]

The result is the one JSON document on stdout (for ``| jq``); logs and metrics go to stderr.
"""
from __future__ import annotations

import argparse
import contextlib
import json
import logging
import re
import sys
from typing import Callable

from chalicelib.errors import DomainError
from chalicelib.services import orgs

COMMANDS: dict[str, Callable[[argparse.Namespace], dict]] = {}


def command(name: str) -> Callable[[Callable[[argparse.Namespace], dict]], Callable[[argparse.Namespace], dict]]:
    """Register an operator command (other modules add theirs: roll-over, backups, retention)."""

    def decorator(fn: Callable[[argparse.Namespace], dict]) -> Callable[[argparse.Namespace], dict]:
        COMMANDS[name] = fn
        return fn

    return decorator


@command("create-org")
def _create_org(args: argparse.Namespace) -> dict:
    org_id = args.org_id or _slug(args.name or "")
    org, key = orgs.create_org(org_id, args.plan, args.name)
    return {"organizationId": org["orgId"], "plan": org["plan"], "apiKey": key}


def _slug(name: str) -> str:
    """An organization id from its display name: ``Acme Corp`` → ``acme-corp``."""
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")


@command("create-key")
def _create_key(args: argparse.Namespace) -> dict:
    scopes = [s.strip() for s in args.scopes.split(",") if s.strip()] if args.scopes else None
    view, key = orgs.create_admin_key(args.org_id, scopes, args.name)
    return {"organizationId": args.org_id, "keyId": view["keyId"], "scopes": view["scopes"], "apiKey": key}


@command("set-plan")
def _set_plan(args: argparse.Namespace) -> dict:
    orgs.set_plan(args.org_id, args.plan)
    return {"organizationId": args.org_id, "plan": args.plan.upper()}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m chalicelib.admin", description="ODAVL Cloud operator commands")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("create-org", help="create an organization and print its first admin key")
    p.add_argument("org_id", nargs="?", help="default: made from --name (Acme Corp → acme-corp)")
    p.add_argument("--name", default=None, help="display name (default: the id)")
    p.add_argument("--plan", default="free")
    p = sub.add_parser("create-key", help="mint a key for an existing organization (all scopes by default)")
    p.add_argument("org_id")
    p.add_argument("--scopes", default=None, help="comma-separated scopes (default: every scope, keys:admin included)")
    p.add_argument("--name", default="operator")
    p = sub.add_parser("set-plan", help="change an organization's plan, effective immediately")
    p.add_argument("org_id")
    p.add_argument("--plan", required=True)
    for extra in EXTRA_PARSERS:
        extra(sub)
    return parser


# other modules append functions that add their subcommands to the parser
EXTRA_PARSERS: list[Callable[[argparse._SubParsersAction], None]] = []


@command("rollover")
def _rollover(args: argparse.Namespace) -> dict:
    from chalicelib.services.usage import rollover

    try:
        return rollover.close_period(args.period)
    except ValueError as exc:
        raise DomainError(str(exc)) from exc


def _rollover_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("rollover", help="close a usage period (default: last month); running twice changes nothing")
    p.add_argument("--period", default=None, help="YYYY-MM, an ended month")


EXTRA_PARSERS.append(_rollover_parser)


@command("backup")
def _backup(args: argparse.Namespace) -> dict:
    from chalicelib.services.maintenance import backups

    return backups.run_backups(retention_days=args.retention_days).as_dict()


@command("restore-drill")
def _restore_drill(args: argparse.Namespace) -> dict:
    from chalicelib.services.maintenance import restore_drill

    return restore_drill.run_drill(args.table).as_dict()


@command("retention")
def _retention(args: argparse.Namespace) -> dict:
    from chalicelib.services.maintenance import retention

    return retention.run_retention(deadline_seconds=args.deadline).as_dict()


@command("count-old-runs")
def _count_old_runs(args: argparse.Namespace) -> dict:
    from chalicelib.services import run_stats

    return run_stats.count_uncounted(limit=args.limit)


def _maintenance_parsers(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("backup", help="back up every table now (once a day), then prune this job's expired backups")
    p.add_argument("--retention-days", type=int, default=None, help="default: the stage's backup retention")
    p = sub.add_parser("restore-drill", help="restore the newest backup to a temporary table, compare, drop it")
    p.add_argument("--table", default="runs", help="logical table (orgs, api-keys, runs, usage, files, jobs, idempotency)")
    p = sub.add_parser("retention", help="delete data past its retention (bounded; run again to continue)")
    p.add_argument("--deadline", type=float, default=600.0, help="seconds this pass may take")
    p = sub.add_parser("count-old-runs", help="add runs stored before the list aggregates existed to them "
                                              "(once each; run again until it counts 0)")
    p.add_argument("--limit", type=int, default=1000, help="runs this pass may count")


EXTRA_PARSERS.append(_maintenance_parsers)


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command == "create-org" and not (args.org_id or args.name):
        parser.error("create-org needs an organization id or --name")
    stdout = sys.stdout
    _logs_to_stderr()
    try:
        with contextlib.redirect_stdout(sys.stderr):  # metrics (EMF lines) are printed to stdout
            result = COMMANDS[args.command](args)
    except DomainError as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        return 1
    print(json.dumps(result, indent=2, default=str), file=stdout)
    return 0


def _logs_to_stderr() -> None:
    """The service's log handlers write to stdout (Lambda's log stream); here stdout is the result."""
    from chalicelib.logs import logger

    for handler in logging.getLogger(logger.name).handlers:
        if isinstance(handler, logging.StreamHandler) and handler.stream is sys.stdout:
            handler.setStream(sys.stderr)


if __name__ == "__main__":
    sys.exit(main())
