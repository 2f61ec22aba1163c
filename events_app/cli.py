"""Operational commands run by manage.py, the Dockerfile and docker compose: migrate, seed, create-organizer."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import os
import sys


async def migrate() -> None:
    os.environ.setdefault("PICCOLO_CONF", "piccolo_conf")
    from piccolo.apps.migrations.commands.forwards import run_forwards

    result = await run_forwards(app_name="all", migration_id="all", fake=False)
    if not result.success:
        raise SystemExit(f"migrations failed: {result.message}")


async def seed() -> None:
    from events_app.services.events import demo

    summary = await demo.seed()
    print(f"demo data: {summary}")


async def create_organizer(email: str, name: str, password: str, admin: bool) -> None:
    from events_app.services.people import accounts

    await accounts.create_account(email, name, password, is_admin=admin)
    print(f"account {email} ready")


def read_password(email: str) -> str:
    """The new account's password: ORGANIZER_PASSWORD, or typed twice at a prompt that does not echo it (never a
    command-line argument, which other users of the machine can read). Refused when it breaks the password rules."""
    from events_app.domain.passwords import password_problems
    from events_app.settings import get_settings

    password = os.environ.get("ORGANIZER_PASSWORD")
    if not password:
        password = getpass.getpass("password: ")
        if getpass.getpass("password again: ") != password:
            raise SystemExit("the two passwords differ; nothing was changed")
    problems = password_problems(password, get_settings().password_min_length, "password", email)
    if problems:
        raise SystemExit(f"the password {problems[0].message}; nothing was changed")
    return password


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m events_app.cli")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("migrate")
    sub.add_parser("seed")
    org = sub.add_parser("create-organizer")
    org.add_argument("email")
    org.add_argument("name")
    org.add_argument("--admin", action="store_true")
    args = parser.parse_args(argv)
    if args.command == "migrate":
        asyncio.run(migrate())
    elif args.command == "seed":
        asyncio.run(seed())
    else:
        password = read_password(args.email)
        asyncio.run(create_organizer(args.email, args.name, password, args.admin))


if __name__ == "__main__":
    sys.path.insert(0, os.getcwd())
    main()
