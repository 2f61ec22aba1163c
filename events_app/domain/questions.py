"""Custom registration questions and the validation of answers. Pure."""

from __future__ import annotations

from datetime import date
from typing import Any

from events_app.domain.errors import FieldError
from events_app.domain.text import LINE_MESSAGE, TEXT_MESSAGE, TextRefused, clean_line, clean_text
from events_app.domain.vocab import QuestionKind, is_country

QUESTION_KINDS = tuple(QuestionKind)
CHOICE_KINDS = (QuestionKind.SINGLE_CHOICE, QuestionKind.MULTIPLE_CHOICE)


def validate_question(code: str, label: str, kind: str, options: list[str]) -> list[FieldError]:
    errors: list[FieldError] = []
    if not code or not code.replace("_", "").isalnum() or code != code.lower() or len(code) > 40:
        errors.append(FieldError("code", "use 1-40 lower-case letters, digits or '_', e.g. 'dietary_needs'"))
    if not label.strip():
        errors.append(FieldError("label", "must not be empty"))
    if kind not in QUESTION_KINDS:
        errors.append(FieldError("kind", f"must be one of {', '.join(QUESTION_KINDS)}"))
    if kind in CHOICE_KINDS and (len(options) < 2 or len(set(options)) != len(options)):
        errors.append(FieldError("options", "a choice question needs at least two different options"))
    if kind not in CHOICE_KINDS and options:
        errors.append(FieldError("options", f"only {' and '.join(CHOICE_KINDS)} questions have options"))
    return errors


def _check(kind: str, value: Any, options: list[str]) -> tuple[Any, str | None]:
    """The cleaned value, or an error message saying what a valid answer looks like."""
    if kind == "short_text":
        if not isinstance(value, str) or len(value) > 200:
            return None, "must be text of at most 200 characters"
        try:
            return clean_line(value), None
        except TextRefused:
            return None, LINE_MESSAGE
    if kind == "long_text":
        if not isinstance(value, str) or len(value) > 5000:
            return None, "must be text of at most 5000 characters"
        try:
            return clean_text(value).strip(), None
        except TextRefused:
            return None, TEXT_MESSAGE
    if kind == "single_choice":
        if value not in options:
            return None, f"must be one of: {', '.join(options)}"
        return value, None
    if kind == "multiple_choice":
        if not isinstance(value, list) or any(v not in options for v in value) or len(set(value)) != len(value):
            return None, f"must be a list of different options from: {', '.join(options)}"
        return value, None
    if kind == "yes_no":
        if not isinstance(value, bool):
            return None, "must be true or false"
        return value, None
    if kind == "country":
        if not isinstance(value, str) or not is_country(value):
            return None, "must be an ISO 3166 alpha-2 country code such as 'BR'"
        return value, None
    if kind == "date":
        try:
            return date.fromisoformat(value).isoformat(), None
        except (TypeError, ValueError):
            return None, "must be a date as YYYY-MM-DD"
    return None, "unknown question kind"


def validate_answers(
    questions: list[dict[str, Any]], answers: dict[str, Any]
) -> tuple[dict[str, Any], list[FieldError]]:
    """Check answers against the event's questions: required ones present, each of the right shape, no strangers."""
    by_code = {q["code"]: q for q in questions}
    errors = [
        FieldError(f"answers.{code}", "no such question for this event") for code in answers if code not in by_code
    ]
    clean: dict[str, Any] = {}
    for q in questions:
        value = answers.get(q["code"])
        if value is None or value == "" or value == []:
            if q["required"]:
                errors.append(FieldError(f"answers.{q['code']}", f"'{q['label']}' is required"))
            continue
        cleaned, problem = _check(q["kind"], value, list(q.get("options") or []))
        if problem:
            errors.append(FieldError(f"answers.{q['code']}", problem))
        else:
            clean[q["code"]] = cleaned
    return clean, errors
