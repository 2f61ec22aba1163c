"""Named queries: each capability keeps its SQL in a `queries.sql` beside its code (procrastinate's model).

Every query in the file has a name, a one-line purpose and named parameters, in aiosql's notation:

    -- name: registration_by_id^
    -- record_class: Registration
    -- One registration with the columns its pages and mails read.
    SELECT ... FROM registration WHERE id = :registration_id;

The suffix says what the call returns: none = a list of rows, `^` = one row or None, `$` = one value, `!` = the
command status, `<!` = the row a RETURNING clause gives, `*!` = executemany over a list of parameter dicts, `#` = a
script. `-- record_class: Name` turns rows into the typed struct registered under that name (a msgspec Struct or
dataclass; columns it does not declare are ignored); without one, rows are asyncpg Records.

aiosql parses the file (names, operators, doc lines, `:name` -> `$n`); the statement then runs where the caller is:
on the connection of the transaction in progress (`DB.transaction()`), else on a pooled connection. Calls take
keyword arguments only, and a missing or unknown parameter is a TypeError at the call, never a silent NULL.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

import msgspec
from aiosql.adapters.asyncpg import AsyncPGAdapter
from aiosql.query_loader import QueryLoader
from aiosql.types import SQLOperationType

from events_app.db import sql

_ROWS = {
    SQLOperationType.SELECT: "fetch",
    SQLOperationType.SELECT_ONE: "fetchrow",
    SQLOperationType.SELECT_VALUE: "fetchval",
    SQLOperationType.INSERT_RETURNING: "fetchrow",
    SQLOperationType.INSERT_UPDATE_DELETE: "execute",
    SQLOperationType.SCRIPT: "execute",
}


def json_value(value: Any) -> Any:
    """A json/jsonb column's value. The pool's codec decodes JSON; a value stored as JSON text inside the column
    (rows the ORM wrote before every write went through named queries) is decoded once more here, the one place."""
    return json.loads(value) if isinstance(value, str) and value[:1] in "[{" else value


def _typed(row_type: type) -> Callable[[Any], Any]:
    def convert(record: Any) -> Any:
        return msgspec.convert(dict(record), row_type, strict=False)

    return convert


class Query:
    """One named statement: call it with its parameters by name."""

    __slots__ = ("name", "doc", "sql", "parameters", "operation", "_method", "_convert")

    def __init__(self, name: str, doc: str, text: str, parameters: list[str], operation, row_type: type | None):
        self.name = name
        self.doc = doc
        self.sql = text
        self.parameters = tuple(parameters)
        self.operation = operation
        self._method = _ROWS.get(operation, "executemany")
        self._convert = _typed(row_type) if row_type is not None else None

    def _ordered(self, params: Mapping[str, Any]) -> list[Any]:
        if len(params) != len(self.parameters) or any(p not in params for p in self.parameters):
            missing = [p for p in self.parameters if p not in params]
            unknown = [p for p in params if p not in self.parameters]
            raise TypeError(f"query {self.name}: missing parameters {missing}, unknown parameters {unknown}")
        return [params[p] for p in self.parameters]

    async def __call__(self, **params: Any) -> Any:
        result = await sql.run(self._method, self.sql, tuple(self._ordered(params)))
        convert = self._convert
        if convert is None or result is None:
            return result
        if self._method == "fetch":
            return [convert(r) for r in result]
        return convert(result)

    async def many(self, rows: Iterable[Mapping[str, Any]]) -> None:
        """executemany: the statement once per parameter dict, in one round trip per batch."""
        await sql.run("executemany", self.sql, ([self._ordered(r) for r in rows],))


class NamedQueries:
    """The queries of one file, as attributes: `await Q.registration_by_id(registration_id=7)`."""

    def __init__(self, path: Path, row_types: Mapping[str, type]):
        self._path = path
        adapter = AsyncPGAdapter()
        loader = QueryLoader(adapter, dict(row_types))
        self._queries: dict[str, Query] = {}
        for datum in loader.load_query_data_from_file(path):
            name = datum.query_name
            if name in self._queries:
                raise ValueError(f"{path}: the query name {name!r} is used twice")
            if not (datum.doc_comments or "").strip():
                raise ValueError(f"{path}: the query {name!r} needs a line saying what it is for")
            self._queries[name] = Query(
                name,
                datum.doc_comments.strip(),
                datum.sql,
                adapter.var_sorted[name],
                datum.operation_type,
                datum.record_class,
            )

    def __getattr__(self, name: str) -> Query:
        try:
            return self._queries[name]
        except KeyError:
            raise AttributeError(f"{self._path} has no query named {name!r}") from None

    def __iter__(self):
        return iter(self._queries.values())


@functools.cache
def _load(path: Path, row_types: tuple[tuple[str, type], ...]) -> NamedQueries:
    return NamedQueries(path, dict(row_types))


def load(beside: str, *, rows: Iterable[type] = (), file: str = "queries.sql") -> NamedQueries:
    """The named queries in `file` in the folder of the module `beside` (pass `__file__`); `rows` are the typed row
    structs that `-- record_class:` lines may name (by class name)."""
    path = Path(beside).resolve().parent / file
    return _load(path, tuple(sorted((t.__name__, t) for t in rows)))
