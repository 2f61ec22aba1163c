"""Organizer content in the network's languages: organizers give an event's title and description, its category
names and its questions in each language readers may choose; readers get their language with the original as
fallback (domain.content). One transaction per save; the same organizer check as every change of the event."""

from __future__ import annotations

from typing import Any

from events_app.db import queries
from events_app.db.engine import DB
from events_app.domain.content import MULTI_LINE, TRANSLATABLE, Translations, localize_event, translation_errors
from events_app.domain.errors import FieldError, require
from events_app.domain.text import TextRefused, clean_line, clean_text
from events_app.domain.vocab import LANGUAGES
from events_app.services.events.rows import ROWS
from events_app.services.people.accounts import CurrentAccount, require_organizer
from events_app.services.registration import questions

Q = queries.load(__file__, rows=ROWS)
ORIGINAL_LANGUAGE = LANGUAGES[0]  # organizers write in it; the others are translations
TRANSLATED_LANGUAGES = LANGUAGES[1:]


async def translations_of(event_id: int, language: str) -> Translations:
    """The event's texts translated into `language` ({} for the original language)."""
    if language not in TRANSLATED_LANGUAGES:
        return {}
    rows = await Q.content_translations(event_id=event_id, language=language)
    return {(r["subject"], r["subject_id"], r["field"]): r["text"] for r in rows}


async def localized(event: dict[str, Any], language: str) -> dict[str, Any]:
    """The event as a reader of `language` sees it."""
    return localize_event(event, await translations_of(event["id"], language))


async def all_translations(account: CurrentAccount, event_id: int) -> dict[str, dict[tuple[str, int, str], str]]:
    """For the organizer's form: language -> {(subject, id, field): text}."""
    await require_organizer(account, event_id)
    out: dict[str, dict[tuple[str, int, str], str]] = {code: {} for code in TRANSLATED_LANGUAGES}
    for r in await Q.event_translations(event_id=event_id):
        out.setdefault(r["language"], {})[(r["subject"], r["subject_id"], r["field"])] = r["text"]
    return out


async def save_translations(
    account: CurrentAccount, event_id: int, language: str, texts: dict[tuple[str, int, str], str]
) -> None:
    """Store the texts given for one language (an empty text removes that translation); every problem is reported
    at once, on a field named `<subject>-<id>.<field>`, and nothing is stored when there is one."""
    await require_organizer(account, event_id)
    if language not in TRANSLATED_LANGUAGES:
        require([FieldError("language", f"choose one of {', '.join(TRANSLATED_LANGUAGES)}")])
    categories = {r.id for r in await Q.categories_of_events(event_ids=[event_id])}
    options = {q["id"]: list(q["options"] or []) for q in await questions.for_event(event_id)}
    announcements = {r["id"] for r in await Q.announcements_of_event(event_id=event_id)}
    owned = {"event": {event_id}, "category": categories, "question": set(options), "announcement": announcements}
    errors: list[FieldError] = []
    cleaned: dict[tuple[str, int, str], str] = {}
    for (subject, subject_id, field), raw in texts.items():
        where = f"{subject}-{subject_id}.{field}"
        if subject not in TRANSLATABLE or subject_id not in owned[subject]:
            errors.append(FieldError(where, "this text does not belong to the event"))
            continue
        try:
            text = clean_text(raw) if field in MULTI_LINE else clean_line(raw)
        except TextRefused as exc:
            errors.append(FieldError(where, str(exc)))
            continue
        problems = translation_errors(subject, field, text, options.get(subject_id))
        errors += [FieldError(where, p) for p in problems]
        cleaned[(subject, subject_id, field)] = text.strip()
    require(errors)
    async with DB.transaction():
        for (subject, subject_id, field), text in cleaned.items():
            if text:
                await Q.save_content_translation(
                    event_id=event_id, subject=subject, subject_id=subject_id, language=language, field=field, text=text
                )
            else:
                await Q.remove_content_translation(
                    event_id=event_id, subject=subject, subject_id=subject_id, language=language, field=field
                )
