"""The Jinja2 environment class the pages and the emails render with (it imports nothing of events_app).

Templates read the services' rows, which are dicts, with attribute syntax (`s.title`). Jinja looks an attribute up
on the object first and only then as an item, so every such lookup on a dict raised and caught an AttributeError
first; a programme of 200 sessions made thousands of them per page. Here a dict is looked up as an item first,
except for the names of dict's own methods (`items`, `get`, ...), which keep Jinja's order: what a template gets
is the same in every case, only without the exceptions.
"""

from __future__ import annotations

from typing import Any

import jinja2

_DICT_ATTRIBUTES = frozenset(dir(dict))


class Environment(jinja2.Environment):
    def getattr(self, obj: Any, attribute: str) -> Any:
        if type(obj) is dict and attribute not in _DICT_ATTRIBUTES:
            try:
                return obj[attribute]
            except KeyError:
                pass
        return super().getattr(obj, attribute)
