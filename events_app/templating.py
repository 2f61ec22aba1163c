"""The Jinja2 environment class the pages and the emails render with (it imports nothing of events_app).

Templates read the services' rows, which are dicts, with attribute syntax (`s.title`). Jinja looks an attribute up
on the object first and only then as an item, so every such lookup on a dict raised and caught an AttributeError
first; a programme of 200 sessions made thousands of them per page. Here a dict is looked up as an item first,
except for the names of dict's own methods (`items`, `get`, ...), which keep Jinja's order: what a template gets
is the same in every case, only without the exceptions. The translation functions are called without a context
derived per call (language_only), and FragmentCache keeps parts of pages.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, MutableMapping
from typing import Any

import jinja2
from jinja2 import nodes
from jinja2.ext import Extension

_DICT_ATTRIBUTES = frozenset(dir(dict))


def language_only(func: Callable) -> Callable:
    """Marks a `pass_context` function of the templates that reads only what the whole render shares (the
    language): called with the template's context as it is. Jinja otherwise derives a new context for every call
    made inside a loop or a block that sets variables (a copy of every name of the page), which for `_("Book")` on
    each of a congress's 200 sessions was a third of the manage page's time."""
    func.language_only = True  # type: ignore[attr-defined]
    return func


class Context(jinja2.runtime.Context):
    def call(__self, __obj: Callable, *args: Any, **kwargs: Any) -> Any:  # noqa: N805  (Jinja's own signature)
        if getattr(__obj, "language_only", False):
            kwargs.pop("_loop_vars", None)
            kwargs.pop("_block_vars", None)
            return __obj(__self, *args, **kwargs)
        return super().call(__obj, *args, **kwargs)


class Environment(jinja2.Environment):
    context_class = Context

    def getattr(self, obj: Any, attribute: str) -> Any:
        if type(obj) is dict and attribute not in _DICT_ATTRIBUTES:
            try:
                return obj[attribute]
            except KeyError:
                pass
        return super().getattr(obj, attribute)


class FragmentCache(Extension):
    """`{% cache store, key[, limit] %}...{% endcache %}`: the block's HTML is kept in `store` (a dict the page
    passes, which lives as long as the data the block shows, e.g. one loaded version of an event's agenda) under
    `key`, and rendered only when it is not there yet; with `store` none the block is rendered every time. A store
    keeps at most `limit` blocks (MAX_FRAGMENTS unless given). This is the
    fragment cache of Jinja's extension documentation, keyed by what the caller says the block depends on: the
    caller must put everything the block reads from the request (language, filters) into the key.
    """

    tags = {"cache"}
    MAX_FRAGMENTS = 64  # per store: the keys come from a request's filters, so they are bounded here too

    def parse(self, parser: Any) -> nodes.Node:
        lineno = next(parser.stream).lineno
        args = [parser.parse_expression()]
        parser.stream.expect("comma")
        args.append(parser.parse_expression())
        args.append(parser.parse_expression() if parser.stream.skip_if("comma") else nodes.Const(self.MAX_FRAGMENTS))
        body = parser.parse_statements(("name:endcache",), drop_needle=True)
        return nodes.CallBlock(self.call_method("_fragment", args), [], [], body).set_lineno(lineno)

    def _fragment(
        self, store: MutableMapping[Hashable, str] | None, key: Hashable, limit: int, caller: Callable[[], str]
    ) -> str:
        if store is None:
            return caller()
        found = store.get(key)
        if found is None:
            found = caller()  # in an autoescaped template, Markup: kept and given back as it was rendered
            if len(store) < limit:
                store[key] = found
        return found
