"""The organizer's back office: login, dashboard, event and category editing, registrations, calendar updates,
the delivery log and announcements. Every change is a POST form (CSRF-checked) followed by a redirect."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template

from events_app.domain.errors import DomainError, FieldError, InvalidInput, NotFound, Unauthorized
from events_app.domain.questions import QUESTION_KINDS
from events_app.domain.vocab import ELIGIBILITIES, EVENT_KINDS, LANGUAGES, REGISTRATION_STATUSES, country_name
from events_app.services.agenda import agenda, calendar_updates
from events_app.services.events import dashboard, events
from events_app.services.meetings import meeting_rsvp
from events_app.services.messaging import announcements, deliveries
from events_app.services.messaging.notifications import preview
from events_app.services.people import accounts
from events_app.services.people.accounts import CurrentAccount, require_organizer
from events_app.services.registration import calendar_answers, questions, registration_admin, session_mail
from events_app.web import abuse
from events_app.web.pages.agenda import update_rows
from events_app.web.pages.common import (
    SESSION_COOKIE,
    expired_session_cookie,
    field_errors,
    form_data,
    local_path,
    page,
    prefixed,
    provide_page_account,
    redirect,
    redisplay_on,
    session_cookie,
)
from events_app.web.pages.delegate import countries
from events_app.web.pages.reports import XLSX
from events_app.web.pages.wording import human

ORGANIZER = {"account": Provide(provide_page_account)}
EVENT_TEXT = (
    "title",
    "kind",
    "timezone",
    "description",
    "venue_name",
    "venue_address",
    "city",
    "online_url",
    "organizer_email",
    "organizer_name",
    "waitlist_mode",
    "reply_to",
)
EVENT_TIMES = ("starts_at", "ends_at", "registration_opens_at", "registration_closes_at")
EVENT_INTS = ("capacity", "offer_hours", "update_delay_minutes")
OPTIONAL_INTS = ("capacity",)
REGISTRATION_ACTIONS = {"approve": "approved", "reject": "rejected", "cancel": "reg-cancelled", "move": "moved"}


def parse_fields(
    data: dict[str, Any], text: tuple = (), times: tuple = (), ints: tuple = (), optional: tuple = ()
) -> tuple[dict[str, Any], list[FieldError]]:
    """Form strings to service values: datetime-local (wall-clock time, the service applies the zone), whole
    numbers; blank optional fields become None. Every unreadable field is reported at once."""
    fields: dict[str, Any] = {}
    errors: list[FieldError] = []
    for name in text:
        if name in data:
            fields[name] = data[name]
    for name in times:
        if name not in data:
            continue
        if not data[name]:
            fields[name] = None
            continue
        try:
            fields[name] = datetime.fromisoformat(data[name])
        except ValueError:
            errors.append(FieldError(name, "must be a date and time, e.g. 2026-10-06T09:30"))
    for name in ints:
        if name not in data:
            continue
        if not data[name]:
            if name in optional:
                fields[name] = None
            continue
        try:
            fields[name] = int(data[name])
        except ValueError:
            errors.append(FieldError(name, "must be a whole number"))
    return fields, errors


def event_form_fields(data: dict[str, Any]) -> dict[str, Any]:
    fields, errors = parse_fields(data, EVENT_TEXT, EVENT_TIMES, EVENT_INTS, OPTIONAL_INTS)
    # an event always has its dates: a blank one is the form's problem, not a missing value for the service
    errors += [FieldError(name, "must not be empty") for name in ("starts_at", "ends_at") if data.get(name) == ""]
    if "country" in data:
        fields["country"] = data["country"] or None
    if "reminder_hours" in data:
        try:
            fields["reminder_hours"] = [int(h) for h in data["reminder_hours"].replace(" ", "").split(",") if h]
        except ValueError:
            errors.append(FieldError("reminder_hours", "give whole numbers of hours separated by commas, e.g. 24, 2"))
    if errors:
        raise InvalidInput(errors)
    return fields


def event_values(event: dict) -> dict[str, Any]:
    """An event as the edit form shows it: times as wall-clock values in the event's zone."""
    zone = ZoneInfo(event["timezone"])
    values = {k: ("" if event.get(k) is None else event[k]) for k in EVENT_TEXT + EVENT_INTS}
    values["country"] = event.get("country") or ""
    for name in EVENT_TIMES:
        value = event.get(name)
        values[name] = value.astimezone(zone).strftime("%Y-%m-%dT%H:%M") if value else ""
    values["reminder_hours"] = ", ".join(str(h) for h in event.get("reminder_hours") or [])
    return values


def category_fields(data: dict[str, Any]) -> dict[str, Any]:
    fields, errors = parse_fields(
        data, ("code", "name", "eligibility"), ("opens_at", "closes_at"), ("quota",), ("quota",)
    )
    fields["requires_approval"] = data.get("requires_approval") == "on"
    if errors:
        raise InvalidInput(errors)
    return fields


class AuthPages(Controller):
    path = "/"
    include_in_schema = False

    @get("/login", name="login")
    async def login_form(self, request: Request, next: FromQuery[str | None] = None) -> Template:
        return page(request, "organizer/login.html", values={"next": local_path(next, "/organizer")})

    @post("/login", name="login-submit")
    async def login(self, request: Request) -> Response:
        data = await form_data(request)
        target = local_path(data.get("next"), "/organizer")
        client = await abuse.login(request, data.get("email", ""))  # the API's limits: 429 page when over
        try:
            token, _, _ = await accounts.login(data.get("email", ""), data.get("password", ""), client=client)
        except Unauthorized:
            return page(
                request,
                "organizer/login.html",
                status=401,
                errors={"_form": "Email or password is wrong."},
                values={"email": data.get("email", ""), "next": target},
            )
        return Redirect(path=target, status_code=303, cookies=[session_cookie(token)])

    @post("/logout", name="logout")
    async def logout(self, request: Request) -> Response:
        token = request.cookies.get(SESSION_COOKIE)
        if token:
            await accounts.logout(token)
        return Redirect(path="/?done=logged-out", status_code=303, cookies=[expired_session_cookie()])


class OrganizerPages(Controller):
    path = "/organizer"
    include_in_schema = False
    dependencies = ORGANIZER

    @get("/", name="dashboard")
    async def dashboard(self, request: Request, account: NamedDependency[CurrentAccount]) -> Template:
        return page(
            request, "organizer/dashboard.html", account=account, events=await dashboard.organized_events(account)
        )

    @get("/events/new", name="event-new")
    async def new_event(self, request: Request, account: NamedDependency[CurrentAccount]) -> Template:
        values = {
            "kind": "congress",
            "timezone": "Europe/Berlin",
            "waitlist_mode": "auto",
            "offer_hours": 48,
            "update_delay_minutes": 10,
            "reminder_hours": "24",
        }
        return page(
            request,
            "organizer/event_new.html",
            account=account,
            values=values,
            kinds=EVENT_KINDS,
            countries=countries(),
        )

    @post("/events/new", name="event-create")
    async def create_event(self, request: Request, account: NamedDependency[CurrentAccount]) -> Response:
        data = await form_data(request)
        async with redisplay_on(
            lambda exc: page(
                request,
                "organizer/event_new.html",
                status=exc.status,
                account=account,
                values=data,
                errors=field_errors(exc),
                kinds=EVENT_KINDS,
                countries=countries(),
            )
        ):
            fields = {k: v for k, v in event_form_fields(data).items() if v is not None}
            event = await events.create_event(account, fields)
        return redirect(f"/organizer/events/{event['id']}", "created")

    async def _event_page(
        self,
        request: Request,
        account: CurrentAccount,
        event_id: int,
        *,
        errors: dict | None = None,
        values: dict | None = None,
        typed: dict | None = None,
        status: int = 200,
    ) -> Template:
        """`values` fills the event's form (default: the event as stored); `typed` keeps what was typed in one of
        the page's other forms, under that form's prefix (`new-category.code`)."""
        event = await events.get_event(event_id, account)
        counts = await registration_admin.counts(account, event_id)
        return page(
            request,
            "organizer/event.html",
            status=status,
            account=account,
            event=event,
            counts=counts,
            values={**(values or event_values(event)), **(typed or {})},
            errors=errors or {},
            kinds=EVENT_KINDS,
            countries=countries(),
            eligibilities=ELIGIBILITIES,
            question_kinds=QUESTION_KINDS,
        )

    @get("/events/{event_id:int}", name="event-edit")
    async def event(
        self, request: Request, event_id: FromPath[int], account: NamedDependency[CurrentAccount]
    ) -> Template:
        return await self._event_page(request, account, event_id)

    @post("/events/{event_id:int}", name="event-update")
    async def update_event(
        self, request: Request, event_id: FromPath[int], account: NamedDependency[CurrentAccount]
    ) -> Response:
        data = await form_data(request)
        async with redisplay_on(
            lambda exc: self._event_page(
                request, account, event_id, errors=field_errors(exc), values=data, status=exc.status
            )
        ):
            await events.update_event(account, event_id, event_form_fields(data))
        return redirect(f"/organizer/events/{event_id}", "saved")

    @post("/events/{event_id:int}/publish", name="event-publish")
    async def publish(
        self, request: Request, event_id: FromPath[int], account: NamedDependency[CurrentAccount]
    ) -> Response:
        async with redisplay_on(
            lambda exc: self._event_page(request, account, event_id, errors=field_errors(exc), status=exc.status)
        ):
            await events.publish_event(account, event_id)
        return redirect(f"/organizer/events/{event_id}", "published")

    @get("/events/{event_id:int}/cancel", name="event-cancel-confirm")
    async def confirm_cancel(
        self, request: Request, event_id: FromPath[int], account: NamedDependency[CurrentAccount]
    ) -> Template:
        await require_organizer(account, event_id)
        event = await events.get_event(event_id, account)
        return page(request, "organizer/event_cancel.html", account=account, event=event)

    @post("/events/{event_id:int}/cancel", name="event-cancel")
    async def cancel(
        self, request: Request, event_id: FromPath[int], account: NamedDependency[CurrentAccount]
    ) -> Response:
        async with redisplay_on(
            lambda exc: self._event_page(request, account, event_id, errors=field_errors(exc), status=exc.status)
        ):
            await events.cancel_event(account, event_id)
        return redirect(f"/organizer/events/{event_id}", "event-cancelled")

    @post("/events/{event_id:int}/categories", name="category-create")
    async def add_category(
        self, request: Request, event_id: FromPath[int], account: NamedDependency[CurrentAccount]
    ) -> Response:
        data = await form_data(request)
        async with redisplay_on(
            lambda exc: self._event_page(
                request,
                account,
                event_id,
                status=exc.status,
                errors=prefixed("new-category", exc),
                typed={f"new-category.{k}": v for k, v in data.items()},
            )
        ):
            await events.add_category(account, event_id, category_fields(data))
        return redirect(f"/organizer/events/{event_id}#categories", "saved")

    @post("/events/{event_id:int}/categories/{category_id:int}", name="category-update")
    async def update_category(
        self,
        request: Request,
        event_id: FromPath[int],
        category_id: FromPath[int],
        account: NamedDependency[CurrentAccount],
    ) -> Response:
        data = await form_data(request)
        async with redisplay_on(
            lambda exc: self._event_page(
                request,
                account,
                event_id,
                status=exc.status,
                errors=prefixed(f"category-{category_id}", exc),
                typed={f"category-{category_id}.{k}": v for k, v in data.items()},
            ),
            url_names=("event",),
        ):  # a missing category is shown on its form
            fields = category_fields(data)
            fields.pop("code", None)
            await registration_admin.update_category(account, event_id, category_id, fields)
        return redirect(f"/organizer/events/{event_id}#categories", "saved")

    @post("/events/{event_id:int}/questions", name="question-create")
    async def add_question(
        self, request: Request, event_id: FromPath[int], account: NamedDependency[CurrentAccount]
    ) -> Response:
        data = await form_data(request)
        fields = {
            "code": data.get("code", ""),
            "label": data.get("label", ""),
            "kind": data.get("kind", ""),
            "required": data.get("required") == "on",
            "options": [o.strip() for o in data.get("options", "").splitlines() if o.strip()],
        }
        async with redisplay_on(
            lambda exc: self._event_page(
                request,
                account,
                event_id,
                status=exc.status,
                errors=prefixed("new-question", exc),
                typed={f"new-question.{k}": v for k, v in data.items()},
            )
        ):
            await questions.add(account, event_id, fields)
        return redirect(f"/organizer/events/{event_id}#questions", "saved")

    # ------------------------------------------------------------------- registrations

    @get("/events/{event_id:int}/registrations", name="registrations")
    async def registrations(
        self,
        request: Request,
        event_id: FromPath[int],
        account: NamedDependency[CurrentAccount],
        status: FromQuery[str | None] = None,
        category: FromQuery[str | None] = None,
        q: FromQuery[str | None] = None,
        country: FromQuery[str | None] = None,
    ) -> Template:
        filters = {
            "status": status or None,
            "category": category or None,
            "q": (q or "").strip() or None,
            "country": country or None,
        }
        event = await events.get_event(event_id, account)
        rows = await registration_admin.search(account, event_id, filters)
        query = "&".join(f"{k}={v}" for k, v in filters.items() if v)
        return page(
            request,
            "organizer/registrations.html",
            account=account,
            event=event,
            rows=rows,
            answers=await calendar_answers.answers_of_event(account, event_id),
            calendar_replies=await meeting_rsvp.event_inbound_replies(account, event_id, limit=50),
            decline_releases_seat=await calendar_answers.decline_policy(account, event_id),
            statuses=REGISTRATION_STATUSES + ("offered",),
            values={k: v or "" for k, v in filters.items()},
            export_query=query,
            country_name=country_name,
        )

    @post("/events/{event_id:int}/decline-policy", name="decline-policy")
    async def decline_policy(
        self, request: Request, event_id: FromPath[int], account: NamedDependency[CurrentAccount]
    ) -> Response:
        data = await form_data(request)
        await calendar_answers.set_decline_policy(account, event_id, data.get("decline_releases_seat") == "1")
        return redirect(f"/organizer/events/{event_id}/registrations#calendar-answers", "saved")

    @post("/events/{event_id:int}/registrations/{registration_id:int}/{action:str}", name="registration-action")
    async def registration_action(
        self,
        request: Request,
        event_id: FromPath[int],
        registration_id: FromPath[int],
        action: FromPath[str],
        account: NamedDependency[CurrentAccount],
    ) -> Response:
        data = await form_data(request)
        back = local_path(data.get("back"), f"/organizer/events/{event_id}/registrations")
        if action not in REGISTRATION_ACTIONS:
            raise NotFound("action")

        async def failed(exc: DomainError) -> Response:
            event = await events.get_event(event_id, account)
            return page(
                request,
                "organizer/action_failed.html",
                status=exc.status,
                account=account,
                event=event,
                message=human(exc.detail),
                back=back,
            )

        # A missing registration or category is the action's failure, shown with the way back to the list.
        async with redisplay_on(failed, url_names=("event",)):
            if action == "approve":
                await registration_admin.approve(account, event_id, registration_id)
            elif action == "reject":
                await registration_admin.reject(account, event_id, registration_id, data.get("reason", ""))
            elif action == "cancel":
                await registration_admin.cancel(account, event_id, registration_id)
            else:
                await registration_admin.move(account, event_id, registration_id, data.get("category", ""))
        return redirect(back, REGISTRATION_ACTIONS[action])

    @get("/events/{event_id:int}/registrations/export/{fmt:str}", name="registrations-export")
    async def export(
        self,
        event_id: FromPath[int],
        fmt: FromPath[str],
        account: NamedDependency[CurrentAccount],
        status: FromQuery[str | None] = None,
        category: FromQuery[str | None] = None,
        q: FromQuery[str | None] = None,
        country: FromQuery[str | None] = None,
    ) -> Response:
        filters = {"status": status or None, "category": category or None, "q": q or None, "country": country or None}
        header, table = await registration_admin.export_rows(account, event_id, filters)
        if fmt == "csv":
            body, media = registration_admin.to_csv(header, table), "text/csv; charset=utf-8"
        elif fmt == "xlsx":
            body = registration_admin.to_xlsx(header, table, f"Registrations {event_id}")
            media = XLSX
        else:
            raise NotFound("export format")
        return Response(
            body,
            media_type=media,
            headers={"Content-Disposition": f'attachment; filename="registrations-{event_id}.{fmt}"'},
        )

    # ------------------------------------------------------------------- telling people

    @get("/events/{event_id:int}/updates", name="calendar-updates")
    async def updates(
        self, request: Request, event_id: FromPath[int], account: NamedDependency[CurrentAccount]
    ) -> Template:
        """Each update with the object's name, what changed (before and after, in the event's zone) and how many
        people receive it: counted now for a waiting update, as sent for one that went out."""
        event = await events.get_event(event_id, account)
        rows = await calendar_updates.pending(account, event_id)
        titles = {s["id"]: s["title"] for s in await agenda.list_sessions(account, event_id)}
        rooms = {r["id"]: r["name"] for r in await agenda.list_rooms(event_id, account)}
        tracks = {t["id"]: t["name"] for t in await agenda.list_tracks(event_id, account)}
        shown = []
        for r in rows:
            recipients = r["recipients"]
            if r["done_at"] is None:  # who holds the invite right now
                recipients = (
                    len(await session_mail.holders(r["subject_id"]))
                    if r["subject"] == "session"
                    else event["confirmed_count"]  # every confirmed registration holds the event's invite
                )
            name = titles.get(r["subject_id"], "") if r["subject"] == "session" else event["title"]
            shown.append(
                {**r, "name": name, "rows": update_rows(r["changes"], rooms, tracks), "recipients": recipients}
            )
        return page(
            request,
            "organizer/updates.html",
            account=account,
            event=event,
            updates=shown,
            waiting=sum(1 for r in rows if r["done_at"] is None),
        )

    @post("/events/{event_id:int}/updates/release", name="calendar-updates-release")
    async def release(self, event_id: FromPath[int], account: NamedDependency[CurrentAccount]) -> Response:
        await calendar_updates.release(account, event_id)
        return redirect(f"/organizer/events/{event_id}/updates", "released")

    @get("/events/{event_id:int}/deliveries", name="deliveries")
    async def deliveries(
        self,
        request: Request,
        event_id: FromPath[int],
        account: NamedDependency[CurrentAccount],
        status: FromQuery[str | None] = None,
        recipient: FromQuery[str | None] = None,
    ) -> Template:
        event = await events.get_event(event_id, account)
        rows = await deliveries.log(account, event_id, status or None, (recipient or "").strip() or None, 300)
        return page(
            request,
            "organizer/deliveries.html",
            account=account,
            event=event,
            rows=rows,
            values={"status": status or "", "recipient": recipient or ""},
            statuses=("pending", "sending", "sent", "failed"),
        )

    @post("/events/{event_id:int}/deliveries/{message_id:int}/resend", name="delivery-resend")
    async def resend(
        self, event_id: FromPath[int], message_id: FromPath[int], account: NamedDependency[CurrentAccount]
    ) -> Response:
        await deliveries.resend(account, event_id, message_id)
        return redirect(f"/organizer/events/{event_id}/deliveries", "resent")

    @get("/events/{event_id:int}/announcements/new", name="announcement-new")
    async def new_announcement(
        self, request: Request, event_id: FromPath[int], account: NamedDependency[CurrentAccount]
    ) -> Template:
        await require_organizer(account, event_id)
        event = await events.get_event(event_id, account)
        return page(
            request,
            "organizer/announcement_new.html",
            account=account,
            event=event,
            values={"audience": "confirmed"},
            audiences=announcements.AUDIENCES[:4],
            languages=LANGUAGES[1:],
        )

    @post("/events/{event_id:int}/announcements/new", name="announcement-create")
    async def create_announcement(
        self, request: Request, event_id: FromPath[int], account: NamedDependency[CurrentAccount]
    ) -> Response:
        data = await form_data(request)
        kind = data.get("audience", "confirmed")
        audience = {"kind": kind, "value": data.get(f"audience_value_{kind}") or None}
        errors = []
        if not data.get("subject"):
            errors.append(FieldError("subject", "must not be empty"))
        if not data.get("body"):
            errors.append(FieldError("body", "must not be empty"))

        async def refused(exc: DomainError) -> Response:
            event = await events.get_event(event_id, account)
            errors_out = {
                re.sub(r"^translations\.(\w+)\.(\w+)$", r"\2_\1", k)
                .replace("audience.value", "audience")
                .replace("audience.kind", "audience"): v
                for k, v in field_errors(exc).items()
            }
            return page(
                request,
                "organizer/announcement_new.html",
                status=exc.status,
                account=account,
                event=event,
                values=data,
                errors=errors_out,
                audiences=announcements.AUDIENCES[:4],
                languages=LANGUAGES[1:],
            )

        async with redisplay_on(refused):
            if errors:
                raise InvalidInput(errors)
            translated = {
                code: {"subject": data.get(f"subject_{code}", ""), "body": data.get(f"body_{code}", "")}
                for code in LANGUAGES[1:]
            }
            created = await announcements.create(
                account,
                event_id,
                {"subject": data["subject"], "body": data["body"], "audience": audience, "translations": translated},
            )
        return redirect(f"/organizer/events/{event_id}/announcements/{created['id']}")

    @get("/events/{event_id:int}/announcements/{announcement_id:int}", name="announcement")
    async def announcement(
        self,
        request: Request,
        event_id: FromPath[int],
        announcement_id: FromPath[int],
        account: NamedDependency[CurrentAccount],
    ) -> Template:
        event = await events.get_event(event_id, account)
        item = await announcements.get(account, event_id, announcement_id)
        shown = await preview(account, event_id, announcement_id)
        return page(
            request, "organizer/announcement.html", account=account, event=event, announcement=item, preview=shown
        )

    @get("/events/{event_id:int}/announcements/{announcement_id:int}/preview.html", name="announcement-html")
    async def announcement_html(
        self, event_id: FromPath[int], announcement_id: FromPath[int], account: NamedDependency[CurrentAccount]
    ) -> Response:
        """The email's HTML as sent, shown in a sandboxed frame: its own inline styles, no scripts, no requests."""
        shown = await preview(account, event_id, announcement_id)
        return Response(
            shown["html"] or "<p></p>",
            media_type="text/html",
            headers={
                "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; img-src data:; sandbox",
                "X-Frame-Options": "SAMEORIGIN",
            },
        )

    @post("/events/{event_id:int}/announcements/{announcement_id:int}/send", name="announcement-send")
    async def send_announcement(
        self,
        request: Request,
        event_id: FromPath[int],
        announcement_id: FromPath[int],
        account: NamedDependency[CurrentAccount],
    ) -> Response:

        async def failed(exc: DomainError) -> Response:
            event = await events.get_event(event_id, account)
            return page(
                request,
                "organizer/action_failed.html",
                status=exc.status,
                account=account,
                event=event,
                message=human(exc.detail),
                back=f"/organizer/events/{event_id}/announcements/{announcement_id}",
            )

        async with redisplay_on(failed):
            await announcements.send(account, event_id, announcement_id)
        return redirect(f"/organizer/events/{event_id}/announcements/{announcement_id}", "sent")
