"""What an API process keeps for its whole life is taken out of the garbage collector's work once it is loaded.

A full collection walks every object that can hold references. An API process holds a few hundred thousand that
live as long as it does (compiled templates, Babel's locale data, catalogues, country and zone names, the agenda
cache), so each full collection, every few seconds under load, stopped the event loop for about 100 ms and every
request in flight waited: most of the congress-day benchmark's p99 outside the booking rush. Loaded up front and
frozen (`gc.freeze`: moved to a generation the collector never walks; they are still freed when nothing refers to
them), a full collection walks only what requests create, in a few milliseconds.
"""

from __future__ import annotations

import gc
from datetime import datetime, timezone

from jinja2 import Environment

from events_app import i18n
from events_app.domain.vocab import country_name, time_zones
from events_app.web.pages import i18n as page_i18n


def load(templates: Environment) -> None:
    """Load now what the first requests would load and keep: every page template compiled, and for each language
    of the pages its catalogue, its Babel locale and the names of countries and zones."""
    for name in templates.list_templates(extensions=["html"]):
        templates.get_template(name)
    now = datetime.now(timezone.utc)
    for language in page_i18n.UI_LANGUAGES:
        page_i18n.translate(language, "Programme")
        i18n.format_datetime(language, now, "UTC")
        i18n.format_number(language, 1.5)
    country_name("FR")  # loads every country's record
    time_zones()


def settle() -> None:
    """Collect what is garbage now, then freeze everything that is left."""
    gc.collect()
    gc.freeze()
