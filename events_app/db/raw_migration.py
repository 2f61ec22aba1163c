"""Hand-written migrations: statements Piccolo's column API cannot express (partial indexes, CHECKs, sequences)."""

from __future__ import annotations

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

from events_app.db.engine import DB


def statements_migration(migration_id: str, app_name: str, description: str, statements: list[str]) -> MigrationManager:
    """A MigrationManager that runs `statements` in order, inside the migration's transaction."""
    manager = MigrationManager(migration_id=migration_id, app_name=app_name, description=description)

    async def run() -> None:
        for statement in statements:
            await DB.run_ddl(statement)

    manager.add_raw(run)
    return manager
