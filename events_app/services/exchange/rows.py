"""Typed rows of the schedule exchange's named queries: the agenda's own (an import reads and writes its sessions)."""

from __future__ import annotations

from events_app.services.agenda.rows import SessionRow

__all__ = ["ROWS", "SessionRow"]

ROWS: tuple[type, ...] = (SessionRow,)
