"""Operational commands run by manage.py, the Dockerfile and docker compose: migrate, seed, create-organizer."""
from __future__ import annotations

import argparse
import asyncio
import os
import sys


async def migrate() -> None:
    os.environ.setdefault("PICCOLO_CONF", "piccolo_conf")
    from piccolo.apps.migrations.commands.forwards import run_forwards

    result = await run_forwards(app_name="all", migration_id="all", fake=False)
    if not result.success:
        raise SystemExit(f"migrations failed: {result.message}")


async def seed() -> None:
    from events_app.services import demo

    summary = await demo.seed()
    print(f"demo data: {summary}")


async def create_organizer(email: str, name: str, password: str, admin: bool) -> None:
    from events_app.services import accounts

    await accounts.create_account(email, name, password, is_admin=admin)
    print(f"account {email} ready")


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
        password = os.environ.get("ORGANIZER_PASSWORD") or input("password: ")
        asyncio.run(create_organizer(args.email, args.name, password, args.admin))


if __name__ == "__main__":
    sys.path.insert(0, os.getcwd())
    main()
