"""Typed rows of the privacy capability's named queries (`-- record_class:` in queries.sql)."""

from __future__ import annotations

from datetime import datetime

import msgspec


class AccessPerson(msgspec.Struct, frozen=True):
    """A person (not erased) an access link is mailed to."""

    id: int
    language: str | None


class PersonRow(msgspec.Struct, frozen=True):
    """A person as erasure reads (and locks) them."""

    id: int
    email: str
    name: str
    erased_at: datetime | None


class RetentionRegistration(msgspec.Struct, frozen=True):
    """A registration past retention, with what its anonymous copy of the person keeps."""

    id: int
    event: int
    person: int
    email: str
    organization: int | None
    language: str | None
