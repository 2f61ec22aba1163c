"""Jinja2 rendering of email bodies: templates/<language>/<kind>.{subject,txt,html}, English as the fallback."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined, TemplateNotFound, select_autoescape

TEMPLATES = Path(__file__).parent / "templates"
FALLBACK_LANGUAGE = "en"


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str
    html: str


@functools.cache
def environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=False),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        # Templates change only with a deployment, which restarts the processes: skip the stat() of the file that
        # auto_reload does on every get_template(), once per part of every message.
        auto_reload=False,
    )
    return env


def _template(language: str, kind: str, ext: str):
    env = environment()
    try:
        return env.get_template(f"{language}/{kind}.{ext}")
    except TemplateNotFound:
        return env.get_template(f"{FALLBACK_LANGUAGE}/{kind}.{ext}")


def render(kind: str, language: str, context: dict) -> Rendered:
    """Subject, plain text and HTML for one message kind in the recipient's language."""
    subject = _template(language, kind, "subject").render(context).strip().replace("\n", " ")
    return Rendered(
        subject=subject,
        text=_template(language, kind, "txt").render(context),
        html=_template(language, kind, "html").render(context),
    )
