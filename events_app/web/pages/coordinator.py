"""Pilot-project coordinators: projects, their cohort, meeting series, and per occurrence the RSVPs, attendance,
minutes and action items."""

from __future__ import annotations

from collections.abc import Awaitable
from datetime import date, datetime
from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, FromQuery
from litestar.response import Template

from events_app.domain.errors import DomainError, FieldError, InvalidInput
from events_app.domain.meetings import validate_series
from events_app.domain.vocab import LANGUAGES
from events_app.services.meetings import meeting_records, meeting_rsvp, meetings, projects
from events_app.services.people import people
from events_app.services.people.accounts import CurrentAccount
from events_app.web.pages.common import (
    field_errors,
    form_data,
    int_or_none,
    page,
    prefixed,
    provide_page_account,
    redirect,
    redisplay_on,
)
from events_app.web.pages.i18n import N_
from events_app.web.pages.recurrence import repeat_values, rrule_from_form
from events_app.web.pages.wording import PageText, human

COORDINATOR = {"account": Provide(provide_page_account)}
MODES = ("in_person", "online", "hybrid")


SERIES_FORM = (
    "title",
    "description",
    "mode",
    "timezone",
    "start",
    "duration_minutes",
    "rrule",
    "location",
    "online_url",
    "agenda",
    "host_rotation",
)
MOVE_FORM = ("starts_at", "ends_at", "location", "online_url")


def wall_clock(value: datetime) -> str:
    """A time as a datetime-local field shows it (seconds only when there are some)."""
    return value.strftime("%Y-%m-%dT%H:%M:%S" if value.second else "%Y-%m-%dT%H:%M")


def agenda_text(items: list[dict]) -> str:
    """The series' agenda as the form edits it: one item per line, 'title | minutes | presenter'."""
    lines = []
    for item in items:
        parts = [
            item["title"],
            "" if item.get("duration_minutes") is None else str(item["duration_minutes"]),
            item.get("presenter") or "",
        ]
        while len(parts) > 1 and not parts[-1]:
            parts.pop()
        lines.append(" | ".join(parts))
    return "\n".join(lines)


def parse_agenda(text: str) -> tuple[list[dict], list[FieldError]]:
    """The inverse of agenda_text; blank lines are skipped, a line that cannot be read is reported. Pure."""
    items, errors = [], []
    for number, line in enumerate((text or "").splitlines(), start=1):
        if not line.strip():
            continue
        parts = [p.strip() for p in line.split("|")]
        minutes = None
        if len(parts) > 1 and parts[1]:
            minutes = int_or_none(parts[1])
            if minutes is None:
                errors.append(FieldError("agenda", f"line {number}: the minutes must be a whole number"))
        items.append(
            {
                "title": parts[0],
                "duration_minutes": minutes,
                "presenter": " | ".join(parts[2:]) if len(parts) > 2 else "",
            }
        )
    return items, errors


def series_values(series: dict) -> dict[str, Any]:
    """A stored series as the edit form shows it: the first start as wall-clock time in the series' zone."""
    values = {k: "" if series.get(k) is None else str(series[k]) for k in SERIES_FORM}
    values["start"] = wall_clock(series["start"])
    values["agenda"] = agenda_text(series["agenda"])
    values["host_rotation"] = [str(h) for h in series["host_rotation"]]
    values.update(repeat_values(series["rrule"], series["timezone"]))
    return values


def host_choices(project: dict, series: dict) -> list[tuple[int, str]]:
    """The cohort's organizations for the host rotation: the current rotation first, in its order, so saving the
    form unchanged keeps the order."""
    names = {m["organization_id"]: m["name"] for m in project["members"]}
    rotation = list(series["host_rotation"])
    return [(h, names.get(h, f"#{h}")) for h in rotation] + [
        (org, name) for org, name in names.items() if org not in rotation
    ]


def start_and_duration(data: dict[str, Any], errors: list[FieldError]) -> tuple[datetime | None, int | None]:
    """A series form's first start (wall-clock in its zone) and duration; what cannot be read goes to `errors`."""
    start = None
    try:
        start = datetime.fromisoformat(data.get("start", ""))
    except ValueError:
        errors.append(FieldError("start", "must be a date and time, e.g. 2026-10-06T14:00"))
    duration = int_or_none(data.get("duration_minutes"))
    if duration is None:
        errors.append(FieldError("duration_minutes", "must be a whole number of minutes"))
    return start, duration


def series_changes(data: dict[str, Any]) -> dict[str, Any]:
    """The edit form as a whole-series change for meetings.update_series; unreadable fields are reported at once."""
    errors: list[FieldError] = []
    start, duration = start_and_duration(data, errors)
    agenda, agenda_errors = parse_agenda(data.get("agenda", ""))
    errors += agenda_errors
    hosts = [int(h) for h in data.get("host_rotation", []) if str(h).isdigit()]
    changes = {
        "title": data.get("title", ""),
        "description": data.get("description", ""),
        "mode": data.get("mode", ""),
        "timezone": data.get("timezone", ""),
        "start": start,
        "duration_minutes": duration,
        "rrule": rrule_from_form(data, start, errors),
        "location": data.get("location", ""),
        "online_url": data.get("online_url", ""),
        "agenda": agenda,
        "host_rotation": hosts,
    }
    if errors:  # the service would stop here: show its pure checks of the other fields too
        unreadable = {e.field for e in errors}
        raise InvalidInput(
            errors
            + [
                e
                for e in validate_series(changes)
                if e.field not in unreadable and not (e.field.startswith("agenda[") and "agenda" in unreadable)
            ]
        )
    return changes


def form_errors(exc: DomainError, fields: tuple[str, ...], prefix: str = "") -> dict[str, str]:
    """A service error on a form: agenda items' problems under 'agenda', anything not about one of the form's
    fields (a cancelled series, a one-off meeting) at the top."""
    errors: dict[str, str] = {}
    for name, message in field_errors(exc).items():
        if name.startswith("agenda["):
            index = int_or_none(name[len("agenda[") :].split("]")[0])
            problem = message if isinstance(message, PageText) else PageText(message)
            name, message = "agenda", PageText(N_("item {number}: {problem}"), number=(index or 0) + 1, problem=problem)
        errors.setdefault(prefix + name if name in fields else "_form", message)
    return errors


def move_changes(data: dict[str, Any], occurrence: dict) -> dict[str, Any]:
    """Only what the coordinator changed on the move form (times are wall-clock in the series' zone); a blank place
    keeps the current one. Nothing changed is refused here, so no update goes out for nothing."""
    changes: dict[str, Any] = {}
    errors: list[FieldError] = []
    for name in ("starts_at", "ends_at"):
        try:
            value = datetime.fromisoformat(data.get(name, ""))
        except ValueError:
            errors.append(FieldError(name, "must be a date and time, e.g. 2026-10-06T14:00"))
            continue
        if value != occurrence[name].replace(tzinfo=None):
            changes[name] = value
    for name in ("location", "online_url"):
        value = data.get(name, "").strip()
        if value and value != (occurrence.get(name) or ""):
            changes[name] = value
    if errors:
        raise InvalidInput(errors)
    if not changes:
        raise InvalidInput([], N_("Nothing changed: change the time or the place first."))
    return changes


class CoordinatorPages(Controller):
    path = "/coordinator"
    include_in_schema = False
    dependencies = COORDINATOR

    async def _projects_page(
        self,
        request: Request,
        account: CurrentAccount,
        *,
        errors: dict | None = None,
        values: dict | None = None,
        status: int = 200,
    ) -> Template:
        return page(
            request,
            "coordinator/projects.html",
            status=status,
            account=account,
            projects=await projects.list_projects(account),
            errors=errors or {},
            values=values or {},
        )

    @get("/", name="projects")
    async def projects_page(self, request: Request, account: NamedDependency[CurrentAccount]) -> Template:
        return await self._projects_page(request, account)

    @post("/projects", name="project-create")
    async def create_project(self, request: Request, account: NamedDependency[CurrentAccount]) -> Response:
        data = await form_data(request)
        async with redisplay_on(
            lambda exc: self._projects_page(request, account, errors=field_errors(exc), values=data, status=exc.status)
        ):
            project = await projects.create_project(
                account,
                {
                    "title": data.get("title", ""),
                    "theme": data.get("theme", ""),
                    "description": data.get("description", ""),
                    "organizer_email": data.get("organizer_email", ""),
                    "organizer_name": data.get("organizer_name", ""),
                },
            )
        return redirect(f"/coordinator/projects/{project['id']}", "created")

    async def _project_page(
        self,
        request: Request,
        account: CurrentAccount,
        project_id: int,
        *,
        errors: dict | None = None,
        values: dict | None = None,
        status: int = 200,
    ) -> Template:
        project = await projects.get_project(account, project_id)
        series = await meetings.list_series(account, project_id)
        organizations = sorted(await people.list_organizations(), key=lambda o: o["name"])
        defaults = {"series.mode": "online", "series.duration_minutes": "60"}  # the zone: the browser's
        replies = await meeting_rsvp.inbound_replies(account, project_id, limit=50)
        proposals = await meeting_rsvp.proposals(account, project_id)
        delegations = await meeting_rsvp.delegations(account, project_id)
        return page(
            request,
            "coordinator/project.html",
            status=status,
            account=account,
            project=project,
            series=series,
            replies=replies,
            proposals=proposals,
            delegations=delegations,
            allow_delegation=await meeting_rsvp.delegation_policy(account, project_id),
            organizations=organizations,
            languages=LANGUAGES,
            modes=MODES,
            errors=errors or {},
            values={**defaults, **(values or {})},
            series_open=any(k.startswith("series.") for k in errors or {}),
        )

    @get("/projects/{project_id:int}", name="project")
    async def project(
        self, request: Request, project_id: FromPath[int], account: NamedDependency[CurrentAccount]
    ) -> Template:
        return await self._project_page(request, account, project_id)

    @post("/projects/{project_id:int}/proposals/{proposal_id:int}", name="proposal-decide")
    async def decide_proposal(
        self,
        request: Request,
        project_id: FromPath[int],
        proposal_id: FromPath[int],
        account: NamedDependency[CurrentAccount],
    ) -> Response:
        data = await form_data(request)
        await meeting_rsvp.decide_proposal(account, project_id, proposal_id, data.get("accept") == "1")
        return redirect(f"/coordinator/projects/{project_id}#proposals", "saved")

    @post("/projects/{project_id:int}/delegations/{delegation_id:int}", name="delegation-decide")
    async def decide_delegation(
        self,
        request: Request,
        project_id: FromPath[int],
        delegation_id: FromPath[int],
        account: NamedDependency[CurrentAccount],
    ) -> Response:
        data = await form_data(request)
        await meeting_rsvp.decide_delegation(account, project_id, delegation_id, data.get("accept") == "1")
        return redirect(f"/coordinator/projects/{project_id}#delegations", "saved")

    @post("/projects/{project_id:int}/delegation-policy", name="delegation-policy")
    async def delegation_policy(
        self, request: Request, project_id: FromPath[int], account: NamedDependency[CurrentAccount]
    ) -> Response:
        data = await form_data(request)
        await meeting_rsvp.set_delegation_policy(account, project_id, data.get("allow_delegation") == "1")
        return redirect(f"/coordinator/projects/{project_id}#delegations", "saved")

    @post("/projects/{project_id:int}/members", name="cohort-add")
    async def add_member(
        self, request: Request, project_id: FromPath[int], account: NamedDependency[CurrentAccount]
    ) -> Response:
        data = await form_data(request)
        contacts = []
        if data.get("email") or data.get("name"):
            contacts.append(
                {"email": data.get("email", ""), "name": data.get("name", ""), "language": data.get("language") or "en"}
            )
        organization_id = int_or_none(data.get("organization_id"))

        def refused(exc: DomainError) -> Awaitable[Template]:
            errors = {k.replace("contacts[0].", ""): v for k, v in field_errors(exc).items()}
            return self._project_page(
                request,
                account,
                project_id,
                status=exc.status,
                errors={f"member.{k}": v for k, v in errors.items()},
                values={f"member.{k}": v for k, v in data.items()},
            )

        async with redisplay_on(refused):
            if organization_id is None:
                raise InvalidInput([FieldError("organization_id", "choose an organization")])
            await projects.add_member(account, project_id, organization_id, contacts)
        return redirect(f"/coordinator/projects/{project_id}#cohort", "saved")

    @post("/projects/{project_id:int}/contacts", name="contact-add")
    async def add_contact(
        self, request: Request, project_id: FromPath[int], account: NamedDependency[CurrentAccount]
    ) -> Response:
        data = await form_data(request)
        org = data.get("organization_id", "")
        async with redisplay_on(
            lambda exc: self._project_page(
                request,
                account,
                project_id,
                status=exc.status,
                errors=prefixed(f"contact{org}", exc),
                values={f"contact{org}.{k}": v for k, v in data.items()},
            )
        ):
            await projects.add_contact(
                account,
                project_id,
                {
                    "organization_id": int_or_none(data.get("organization_id")),
                    "email": data.get("email", ""),
                    "name": data.get("name", ""),
                    "language": data.get("language") or "en",
                },
            )
        return redirect(f"/coordinator/projects/{project_id}#cohort", "saved")

    @post("/projects/{project_id:int}/series", name="series-create")
    async def create_series(
        self, request: Request, project_id: FromPath[int], account: NamedDependency[CurrentAccount]
    ) -> Response:
        data = await form_data(request)
        errors: list[FieldError] = []
        start, duration = start_and_duration(data, errors)
        rrule = rrule_from_form(data, start, errors)
        async with redisplay_on(
            lambda exc: self._project_page(
                request,
                account,
                project_id,
                status=exc.status,
                errors=prefixed("series", exc),
                values={f"series.{k}": v for k, v in data.items()},
            )
        ):
            if errors:
                raise InvalidInput(errors)
            series = await meetings.create_series(
                account,
                project_id,
                {
                    "title": data.get("title", ""),
                    "mode": data.get("mode", "online"),
                    "timezone": data.get("timezone", ""),
                    "start": start,
                    "duration_minutes": duration,
                    "rrule": rrule,
                    "description": data.get("description", ""),
                    "location": data.get("location", ""),
                    "online_url": data.get("online_url", ""),
                },
            )
        return redirect(f"/coordinator/series/{series['id']}", "created")

    async def _series_page(
        self,
        request: Request,
        account: CurrentAccount,
        series_id: int,
        *,
        template: str = "coordinator/series.html",
        errors: dict | None = None,
        status: int = 200,
    ) -> Template:
        series = await meetings.get_series(account, series_id)
        project = await projects.get_project(account, series["project_id"])
        occurrences = await meetings.list_occurrences(account, series_id)
        return page(
            request,
            template,
            status=status,
            account=account,
            series=series,
            project=project,
            occurrences=occurrences,
            errors=errors or {},
        )

    @get("/series/{series_id:int}", name="series")
    async def series(
        self, request: Request, series_id: FromPath[int], account: NamedDependency[CurrentAccount]
    ) -> Template:
        return await self._series_page(request, account, series_id)

    async def _series_form(
        self,
        request: Request,
        account: CurrentAccount,
        series_id: int,
        *,
        errors: dict | None = None,
        values: dict | None = None,
        status: int = 200,
    ) -> Template:
        series = await meetings.get_series(account, series_id)
        project = await projects.get_project(account, series["project_id"])
        return page(
            request,
            "coordinator/series_edit.html",
            status=status,
            account=account,
            series=series,
            project=project,
            modes=MODES,
            hosts=host_choices(project, series),
            errors=errors or {},
            values=values if values is not None else series_values(series),
        )

    @get("/series/{series_id:int}/edit", name="series-edit")
    async def edit_series(
        self, request: Request, series_id: FromPath[int], account: NamedDependency[CurrentAccount]
    ) -> Template:
        return await self._series_form(request, account, series_id)

    @post("/series/{series_id:int}/edit", name="series-update")
    async def update_series(
        self, request: Request, series_id: FromPath[int], account: NamedDependency[CurrentAccount]
    ) -> Response:
        """Change the whole series: the service sends every invitee one REQUEST with a higher SEQUENCE (and
        nothing when nothing changed)."""
        data = await form_data(request)
        before = await meetings.get_series(account, series_id)
        async with redisplay_on(
            lambda exc: self._series_form(
                request, account, series_id, status=exc.status, values=data, errors=form_errors(exc, SERIES_FORM)
            )
        ):
            after = await meetings.update_series(account, series_id, series_changes(data))
        done = "series-updated" if after["calendar_sequence"] != before["calendar_sequence"] else "unchanged"
        return redirect(f"/coordinator/series/{series_id}", done)

    @get("/series/{series_id:int}/cancel", name="series-cancel-confirm")
    async def confirm_cancel_series(
        self, request: Request, series_id: FromPath[int], account: NamedDependency[CurrentAccount]
    ) -> Template:
        return await self._series_page(request, account, series_id, template="coordinator/series_cancel.html")

    @post("/series/{series_id:int}/cancel", name="series-cancel")
    async def cancel_series(
        self, request: Request, series_id: FromPath[int], account: NamedDependency[CurrentAccount]
    ) -> Response:
        async with redisplay_on(
            lambda exc: self._series_page(
                request, account, series_id, status=exc.status, errors={"_form": human(exc.detail)}
            )
        ):
            await meetings.cancel_series(account, series_id)
        return redirect(f"/coordinator/series/{series_id}", "series-cancelled")

    async def _occurrence_page(
        self,
        request: Request,
        account: CurrentAccount,
        series_id: int,
        key: str,
        *,
        errors: dict | None = None,
        values: dict | None = None,
        template: str = "coordinator/occurrence.html",
        status: int = 200,
    ) -> Template:
        series = await meetings.get_series(account, series_id)
        answers = await meetings.responses(account, series_id, key)
        record = await meeting_records.record(account, series_id, key)
        present = {a["person_id"] for a in record["attendance"]}
        occurrence = answers["occurrence"]
        shown = {
            "move.starts_at": wall_clock(occurrence["starts_at"]),
            "move.ends_at": wall_clock(occurrence["ends_at"]),
            "move.location": occurrence["location"] or "",
            "move.online_url": occurrence["online_url"] or "",
        }
        return page(
            request,
            template,
            status=status,
            account=account,
            series=series,
            key=key,
            answers=answers,
            record=record,
            present=present,
            errors=errors or {},
            values={**shown, **(values or {})},
            changeable=series["status"] == "active" and bool(series["rrule"]) and occurrence["status"] != "cancelled",
        )

    @post("/series/{series_id:int}/occurrences/{key:str}/move", name="occurrence-move")
    async def move_occurrence(
        self, request: Request, series_id: FromPath[int], key: FromPath[str], account: NamedDependency[CurrentAccount]
    ) -> Response:
        """Move one meeting or change its place: every invitee gets a REQUEST for that occurrence."""
        data = await form_data(request)
        current = await meetings.get_occurrence(account, series_id, key)
        async with redisplay_on(
            lambda exc: self._occurrence_page(
                request,
                account,
                series_id,
                key,
                status=exc.status,
                values=data,
                errors=form_errors(exc, MOVE_FORM, "move."),
            )
        ):
            fields = {k.removeprefix("move."): v for k, v in data.items() if k.startswith("move.")}
            await meetings.move_occurrence(account, series_id, key, move_changes(fields, current))
        return redirect(f"/coordinator/series/{series_id}/occurrences/{key}#change", "occurrence-moved")

    @get("/series/{series_id:int}/occurrences/{key:str}/cancel", name="occurrence-cancel-confirm")
    async def confirm_cancel_occurrence(
        self, request: Request, series_id: FromPath[int], key: FromPath[str], account: NamedDependency[CurrentAccount]
    ) -> Template:
        return await self._occurrence_page(
            request, account, series_id, key, template="coordinator/occurrence_cancel.html"
        )

    @post("/series/{series_id:int}/occurrences/{key:str}/cancel", name="occurrence-cancel")
    async def cancel_occurrence(
        self, request: Request, series_id: FromPath[int], key: FromPath[str], account: NamedDependency[CurrentAccount]
    ) -> Response:
        """Cancel one meeting: every invitee gets a CANCEL for that occurrence; the series stays."""
        async with redisplay_on(
            lambda exc: self._occurrence_page(
                request, account, series_id, key, status=exc.status, errors={"_form": human(exc.detail)}
            )
        ):
            await meetings.cancel_occurrence(account, series_id, key)
        return redirect(f"/coordinator/series/{series_id}", "occurrence-cancelled")

    @get("/series/{series_id:int}/occurrences/{key:str}", name="occurrence")
    async def occurrence(
        self, request: Request, series_id: FromPath[int], key: FromPath[str], account: NamedDependency[CurrentAccount]
    ) -> Template:
        return await self._occurrence_page(request, account, series_id, key)

    @post("/series/{series_id:int}/occurrences/{key:str}/attendance", name="attendance")
    async def attendance(
        self, request: Request, series_id: FromPath[int], key: FromPath[str], account: NamedDependency[CurrentAccount]
    ) -> Response:
        data = await form_data(request)
        people_present = [int(p) for p in data.get("present", []) if str(p).isdigit()]
        await meeting_records.set_attendance(account, series_id, key, people_present)
        return redirect(f"/coordinator/series/{series_id}/occurrences/{key}#attendance", "saved")

    @post("/series/{series_id:int}/occurrences/{key:str}/minutes", name="minutes")
    async def minutes(
        self, request: Request, series_id: FromPath[int], key: FromPath[str], account: NamedDependency[CurrentAccount]
    ) -> Response:
        data = await form_data(request)
        async with redisplay_on(
            lambda exc: self._occurrence_page(
                request,
                account,
                series_id,
                key,
                status=exc.status,
                errors=prefixed("minutes", exc),
                values={"minutes.minutes": data.get("minutes", "")},
            )
        ):
            await meeting_records.set_minutes(account, series_id, key, data.get("minutes", ""))
        return redirect(f"/coordinator/series/{series_id}/occurrences/{key}#minutes", "saved")

    @post("/series/{series_id:int}/occurrences/{key:str}/actions", name="action-add")
    async def add_action(
        self, request: Request, series_id: FromPath[int], key: FromPath[str], account: NamedDependency[CurrentAccount]
    ) -> Response:
        data = await form_data(request)
        try:
            due = date.fromisoformat(data["due_date"]) if data.get("due_date") else None
        except ValueError:
            due = None
        async with redisplay_on(
            lambda exc: self._occurrence_page(
                request,
                account,
                series_id,
                key,
                status=exc.status,
                errors=prefixed("action", exc),
                values={f"action.{k}": v for k, v in data.items()},
            )
        ):
            await meeting_records.add_action(
                account,
                series_id,
                key,
                {
                    "title": data.get("title", ""),
                    "owner_person_id": int_or_none(data.get("owner_person_id")),
                    "due_date": due,
                },
            )
        return redirect(f"/coordinator/series/{series_id}/occurrences/{key}#actions", "saved")

    @post("/actions/{action_id:int}", name="action-update")
    async def update_action(
        self, request: Request, action_id: FromPath[int], account: NamedDependency[CurrentAccount]
    ) -> Response:
        data = await form_data(request)
        await meeting_records.update_action(account, action_id, {"done": data.get("done") == "1"})
        back = data.get("back", "")
        return redirect(back if back.startswith("/coordinator/") else "/coordinator", "saved")


class RsvpPages(Controller):
    """The page an invitation email's links open. Opening it changes nothing (mail scanners open links); the
    buttons post."""

    path = "/rsvp/{token:str}"
    include_in_schema = False

    @get("/", name="rsvp")
    async def rsvp(
        self,
        request: Request,
        token: FromPath[str],
        answer: FromQuery[str] = "accepted",
        occurrence: FromQuery[str] = "",
    ) -> Template:
        invitation = await meeting_rsvp.view(token)
        chosen = next((o for o in invitation["occurrences"] if o["id"] == occurrence), None)
        return page(
            request,
            "delegate/rsvp.html",
            invitation=invitation,
            occurrence=chosen,
            suggested=answer if answer in ("accepted", "declined", "tentative") else "accepted",
            answered=False,
        )

    @post("/", name="rsvp-answer", status_code=200)
    async def answer(self, request: Request, token: FromPath[str]) -> Template:
        data = await form_data(request)
        result = await meeting_rsvp.answer(token, data.get("answer", ""), data.get("occurrence") or None)
        return page(request, "delegate/rsvp.html", invitation=result, occurrence=None, suggested="", answered=True)
