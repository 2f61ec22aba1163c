"""Organizer content in several languages: which texts can be translated, what a valid translation is, and the
event as one reader sees it (their language where a translation exists, the original text elsewhere). Pure."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

# subject -> its translatable fields; "options" holds one translated option per line, in the original's order
TRANSLATABLE = {
    "event": ("title", "description"),
    "category": ("name",),
    "question": ("label", "options"),
    "announcement": ("subject", "body"),
}
ONE_LINE = {"title", "name", "label", "subject"}
MULTI_LINE = {"description", "options", "body"}

Translations = Mapping[tuple[str, int, str], str]  # (subject, subject_id, field) -> text


def translation_errors(subject: str, field: str, text: str, original_options: list[str] | None = None) -> list[str]:
    """What is wrong with one translated text ([] when it may be stored; an empty text removes the translation)."""
    if field not in TRANSLATABLE.get(subject, ()):
        return ["this text cannot be translated"]
    if field in ONE_LINE and ("\n" in text or "\r" in text):
        return ["must be a single line"]
    if field == "options" and text.strip():
        lines = [line.strip() for line in text.splitlines() if line.strip()]
        if original_options is None or len(lines) != len(original_options):
            return ["give one translated option per line, as many as the question has"]
    return []


def localize_event(event: dict[str, Any], found: Translations) -> dict[str, Any]:
    """The event (with categories and questions) in the reader's language: every text that has a translation
    replaced by it; each question also gets `option_labels`, shown beside the original option values that answers
    keep (so an answer means the same whatever language it was given in)."""
    out = dict(event)
    for field in TRANSLATABLE["event"]:
        text = found.get(("event", event["id"], field))
        if text:
            out[field] = text
    out["categories"] = [
        {**c, "name": found.get(("category", c["id"], "name")) or c["name"]} for c in event.get("categories") or []
    ]
    questions = []
    for q in event.get("questions") or []:
        labels = list(q.get("options") or [])
        translated = found.get(("question", q["id"], "options"))
        if translated:
            lines = [line.strip() for line in translated.splitlines() if line.strip()]
            if len(lines) == len(labels):
                labels = lines
        questions.append(
            {**q, "label": found.get(("question", q["id"], "label")) or q["label"], "option_labels": labels}
        )
    out["questions"] = questions
    return out
