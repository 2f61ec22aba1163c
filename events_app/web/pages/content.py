"""The organizer's "Other languages" page: the event's title and description, its category names and its
questions given in each language readers may choose (services.events.translations)."""

from __future__ import annotations

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath
from litestar.response import Template

from events_app.domain.errors import NotFound
from events_app.services.events import events, translations
from events_app.services.people.accounts import CurrentAccount, require_organizer
from events_app.web.pages.common import field_errors, form_data, page, provide_page_account, redirect, redisplay_on

ORGANIZER = {"account": Provide(provide_page_account)}


def texts_from_form(data: dict[str, str]) -> dict[tuple[str, int, str], str]:
    """The form's inputs, named `<subject>-<id>.<field>`, as {(subject, id, field): text}; other names ignored."""
    texts: dict[tuple[str, int, str], str] = {}
    for name, value in data.items():
        where, dot, field = name.partition(".")
        subject, dash, number = where.rpartition("-")
        if dot and dash and number.isdigit() and isinstance(value, str):
            texts[(subject, int(number), field)] = value
    return texts


class ContentPages(Controller):
    path = "/organizer/events/{event_id:int}/languages"
    include_in_schema = False
    dependencies = ORGANIZER

    async def _page(
        self,
        request: Request,
        account: CurrentAccount,
        event_id: int,
        language: str,
        *,
        errors: dict | None = None,
        values: dict | None = None,
        status: int = 200,
    ) -> Template:
        event = await events.get_event(event_id, account)
        stored = (await translations.all_translations(account, event_id)).get(language, {})
        shown = {f"{s}-{i}.{f}": text for (s, i, f), text in stored.items()}
        return page(
            request,
            "organizer/languages.html",
            status=status,
            account=account,
            event=event,
            language=language,
            languages=translations.TRANSLATED_LANGUAGES,
            values={**shown, **(values or {})},
            errors=errors or {},
        )

    @get("/", name="content-languages")
    async def first(
        self, request: Request, event_id: FromPath[int], account: NamedDependency[CurrentAccount]
    ) -> Response:
        await require_organizer(account, event_id)
        return redirect(f"/organizer/events/{event_id}/languages/{translations.TRANSLATED_LANGUAGES[0]}")

    @get("/{language:str}", name="content-language")
    async def show(
        self,
        request: Request,
        event_id: FromPath[int],
        language: FromPath[str],
        account: NamedDependency[CurrentAccount],
    ) -> Template:
        if language not in translations.TRANSLATED_LANGUAGES:
            raise NotFound("language")
        return await self._page(request, account, event_id, language)

    @post("/{language:str}", name="content-language-save")
    async def save(
        self,
        request: Request,
        event_id: FromPath[int],
        language: FromPath[str],
        account: NamedDependency[CurrentAccount],
    ) -> Response:
        if language not in translations.TRANSLATED_LANGUAGES:
            raise NotFound("language")
        data = await form_data(request)
        async with redisplay_on(
            lambda exc: self._page(
                request, account, event_id, language, errors=field_errors(exc), values=data, status=exc.status
            ),
            url_names=("event",),
        ):
            await translations.save_translations(account, event_id, language, texts_from_form(data))
        return redirect(f"/organizer/events/{event_id}/languages/{language}", "saved")
