"""Every capability's SQL lives in its named-query file: each query has a name, a purpose line and named
parameters, the files load without a database, and no service module sends SQL written inline."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from events_app.db import queries

SERVICES = Path(queries.__file__).resolve().parent.parent / "services"
QUERY_FILES = sorted(SERVICES.glob("*/queries.sql"))
INLINE_SQL = re.compile(r"\b(?:sql\.(?:fetch|fetchrow|fetchval|execute|run)|connection\(\)\.\w+)\(")
# Modules whose SQL has not yet moved to their capability's queries.sql. The list only shrinks: a module that
# sends no inline SQL must leave it (the test below says so), and no new module may join it.
NOT_YET_MOVED: set[str] = set()


@pytest.mark.parametrize("path", QUERY_FILES, ids=lambda p: p.parent.name)
def test_query_file_loads_with_names_purposes_and_parameters(path):
    loaded = list(queries.NamedQueries(path, _row_types(path)))

    assert loaded, f"{path} holds no query"
    for query in loaded:
        assert query.doc, query.name
        assert "{" not in query.sql or "'{" in query.sql, f"{query.name}: looks like a str.format template"
        assert not re.search(r"(?<![:$\w]):[a-z_]+\b(?!::)", query.sql.replace("::", "  ")), query.name


@pytest.mark.parametrize("module", sorted(SERVICES.rglob("*.py")), ids=lambda p: f"{p.parent.name}/{p.name}")
def test_service_module_sends_no_inline_sql(module):
    found = INLINE_SQL.findall(module.read_text())
    name = str(module.relative_to(SERVICES))

    if name in NOT_YET_MOVED:
        assert found, f"{name} sends no inline SQL any more: remove it from NOT_YET_MOVED"
    else:
        assert found == [], f"{name} sends SQL written inline; give it a name in its capability's queries.sql"


def test_missing_parameter_is_refused_before_the_database():
    query = queries.Query("probe", "A probe.", "SELECT $1, $2", ["a", "b"], None, None)

    with pytest.raises(TypeError, match=r"missing parameters \['b'\]"):
        query._ordered({"a": 1})


def _row_types(path: Path) -> dict[str, type]:
    import importlib

    rows_module = path.parent / "rows.py"
    if not rows_module.exists():
        return {}
    module = importlib.import_module(f"events_app.services.{path.parent.name}.rows")
    return {name: value for name, value in vars(module).items() if isinstance(value, type)}
