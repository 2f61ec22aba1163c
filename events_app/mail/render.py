"""Jinja2 rendering of email bodies: one template per kind, templates/<kind>.{subject,txt,html}, in English, with
every text the reader sees marked for translation (`{{ _("Dear {name},", name=person.name) }}`).

The texts are translated through the gettext catalogue of the recipient's language,
`mail/locales/<code>/LC_MESSAGES/mail.po`, read with Babel by the helpers pages use too (events_app/i18n.py); a text
missing from a catalogue, or a language without one, shows in English. Placeholders use str.format names, as on the
pages; numbers among the values are written by Babel in the reader's language. In HTML parts the translated text
is markup and the values are escaped. The language is the context's `language`.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from gettext import NullTranslations
from pathlib import Path

from jinja2 import FileSystemLoader, StrictUndefined, pass_context, select_autoescape
from markupsafe import Markup

from events_app import i18n
from events_app.templating import Environment, language_only

TEMPLATES = Path(__file__).parent / "templates"
LOCALES = Path(__file__).parent / "locales"
FALLBACK_LANGUAGE = i18n.DEFAULT_LANGUAGE
PARTS = ("subject", "txt", "html")


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str
    html: str


def catalogue_path(language: str) -> Path:
    return LOCALES / language / "LC_MESSAGES" / "mail.po"


@functools.cache  # every gettext call of every template asks (i18n.translations keeps the catalogue itself)
def translations(language: str) -> NullTranslations:
    return i18n.translations(catalogue_path(language), language)


def catalog(language: str) -> dict[str, str]:
    """The catalogue's translated entries (for checks and tests); see events_app.i18n.catalog."""
    return i18n.catalog(catalogue_path(language), language)


def _fill(text: str, language: str, autoescape: bool, values: dict) -> str:
    # In HTML parts the text is markup written by us (template or catalogue, never input) and the values are escaped
    # by Markup.format, as Jinja's own i18n extension does.
    if not values:
        return Markup(text) if autoescape else text  # noqa: S704
    shown = {
        k: i18n.format_number(language, v) if isinstance(v, int | float) and not isinstance(v, bool) else v
        for k, v in values.items()
    }
    if autoescape:
        return Markup(text).format(**shown)  # noqa: S704
    return text.format(**shown)


def translate(language: str, text: str, **values) -> str:
    """A mail text in `language`, its placeholders filled (plain text: for calendar descriptions and subjects)."""
    return _fill(translations(language).gettext(text), language, False, values)


def translator(language: str) -> Callable[..., str]:
    """`_` for code that writes reader-visible text outside templates (calendar descriptions)."""
    return functools.partial(translate, language)


def _language(context) -> str:
    return context.get("language") or FALLBACK_LANGUAGE


@language_only
@pass_context
def _gettext(context, text: str, **values) -> str:
    language = _language(context)
    return _fill(translations(language).gettext(text), language, context.eval_ctx.autoescape, values)


@language_only
@pass_context
def _ngettext(context, singular: str, plural: str, n: int, **values) -> str:
    language = _language(context)
    translated = translations(language).ngettext(singular, plural, n)
    return _fill(translated, language, context.eval_ctx.autoescape, {"n": n, **values})


@language_only
@pass_context
def _pgettext(context, msgctxt: str, text: str, **values) -> str:
    language = _language(context)
    return _fill(translations(language).pgettext(msgctxt, text), language, context.eval_ctx.autoescape, values)


@functools.cache
def environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=False),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        extensions=["jinja2.ext.i18n"],
        # Templates change only with a deployment, which restarts the processes: skip the stat() of the file that
        # auto_reload does on every get_template(), once per part of every message.
        auto_reload=False,
    )
    env.install_gettext_callables(  # type: ignore[attr-defined]
        _gettext, _ngettext, newstyle=False, pgettext=_pgettext
    )
    env.globals["_"] = _gettext  # the extension's `_` looks `gettext` up and calls it through a derived context
    return env


def kinds() -> list[str]:
    """Every kind of email: the kinds with a subject (the others are parts included by them)."""
    return sorted(p.name.removesuffix(".subject") for p in TEMPLATES.glob("*.subject"))


def render(kind: str, language: str, context: dict) -> Rendered:
    """Subject, plain text and HTML for one message kind in the recipient's language."""
    env = environment()
    context = {**context, "language": language}
    subject = env.get_template(f"{kind}.subject").render(context).strip().replace("\n", " ")
    return Rendered(
        subject=subject,
        text=env.get_template(f"{kind}.txt").render(context),
        html=env.get_template(f"{kind}.html").render(context),
    )
