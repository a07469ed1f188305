"""Operator commands, run against the stage's own tables:

    python -m chalicelib.admin create-org acme --plan free
    python -m chalicelib.admin set-plan acme --plan pro
"""
from __future__ import annotations

import argparse
import json
import sys
from typing import Callable

from chalicelib.errors import ApiError
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
    org, key = orgs.create_org(args.org_id, args.plan, args.name)
    return {"organizationId": org["orgId"], "plan": org["plan"], "apiKey": key}


@command("set-plan")
def _set_plan(args: argparse.Namespace) -> dict:
    orgs.set_plan(args.org_id, args.plan)
    return {"organizationId": args.org_id, "plan": args.plan.upper()}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m chalicelib.admin", description="ODAVL Cloud operator commands")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("create-org", help="create an organization and print its first admin key")
    p.add_argument("org_id")
    p.add_argument("--name", default=None)
    p.add_argument("--plan", default="free")
    p = sub.add_parser("set-plan", help="change an organization's plan, effective immediately")
    p.add_argument("org_id")
    p.add_argument("--plan", required=True)
    for extra in EXTRA_PARSERS:
        extra(sub)
    return parser


# other modules append functions that add their subcommands to the parser
EXTRA_PARSERS: list[Callable[[argparse._SubParsersAction], None]] = []


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        result = COMMANDS[args.command](args)
    except ApiError as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        return 1
    print(json.dumps(result, indent=2, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
