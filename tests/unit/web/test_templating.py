"""The pages' and emails' Jinja environment reads dict rows as items first, and gives templates exactly what Jinja's
own environment gives; dates and times are formatted once per language and value, with Babel's text."""

from __future__ import annotations

from datetime import datetime, timezone
from zoneinfo import ZoneInfo

import jinja2
import pytest
from babel import dates as babel_dates

from events_app import i18n
from events_app.templating import Environment

TEMPLATE = (
    "{{ d.title }}|{{ d.get('x') }}|{{ d.missing is undefined }}|{{ d['items'] }}|"
    "{% for k, v in d.items() %}{{ k }}={{ v }};{% endfor %}|{{ d.keys()|list|length }}|{{ o.real }}"
)


def test_dict_attributes_read_as_jinja_reads_them_including_names_of_dict_methods():
    values = {"d": {"title": "Plenary", "x": 1, "items": "shadowed"}, "o": 3}

    ours = Environment().from_string(TEMPLATE).render(values)

    assert ours == jinja2.Environment().from_string(TEMPLATE).render(values)
    assert ours.startswith("Plenary|1|True|shadowed|title=Plenary;x=1;items=shadowed;|3|3")


def test_a_missing_key_is_still_undefined_under_strict_undefined():
    with pytest.raises(jinja2.UndefinedError):
        Environment(undefined=jinja2.StrictUndefined).from_string("{{ d.missing }}").render(d={})


@pytest.mark.parametrize("language", ["en", "es"])
@pytest.mark.parametrize("zone", ["Europe/Madrid", "Asia/Kathmandu", "America/New_York"])
def test_cached_dates_and_times_are_babels_text_in_the_zone(language, zone):
    locale = i18n.locale(language)
    for hour in range(24):  # across the 2026 spring change in Europe and America
        value = datetime(2026, 3, 29, hour, 45, tzinfo=timezone.utc)
        shown = value.astimezone(ZoneInfo(zone))
        assert i18n.format_time(value, zone, language) == babel_dates.format_time(shown, "short", locale=locale)
        assert i18n.format_date(language, value, zone) == babel_dates.format_date(shown.date(), "full", locale=locale)
