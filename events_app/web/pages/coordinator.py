"""Pilot-project coordinators: projects, their cohort, meeting series, and per occurrence the RSVPs, attendance,
minutes and action items."""
from __future__ import annotations

from datetime import date, datetime

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, FromQuery
from litestar.response import Template

from events_app.domain.errors import DomainError, FieldError, InvalidInput, NotFound
from events_app.domain.vocab import LANGUAGES
from events_app.services import meeting_records, meeting_rsvp, meetings, people, projects
from events_app.services.accounts import CurrentAccount
from events_app.web.pages.common import field_errors, form_data, int_or_none, page, provide_page_account, redirect

COORDINATOR = {"account": Provide(provide_page_account)}
MODES = ("in_person", "online", "hybrid")


def _prefixed(prefix: str, exc: DomainError) -> dict[str, str]:
    return {f"{prefix}.{k}": v for k, v in field_errors(exc).items()}


class CoordinatorPages(Controller):
    path = "/coordinator"
    include_in_schema = False
    dependencies = COORDINATOR

    async def _projects_page(self, request: Request, account: CurrentAccount, *, errors: dict | None = None,
                             values: dict | None = None, status: int = 200) -> Template:
        return page(request, "coordinator/projects.html", status=status, account=account,
                    projects=await projects.list_projects(account), errors=errors or {}, values=values or {})

    @get("/", name="projects")
    async def projects_page(self, request: Request, account: NamedDependency[CurrentAccount]) -> Template:
        return await self._projects_page(request, account)

    @post("/projects", name="project-create")
    async def create_project(self, request: Request, account: NamedDependency[CurrentAccount]) -> Response:
        data = await form_data(request)
        try:
            project = await projects.create_project(account, {
                "title": data.get("title", ""), "theme": data.get("theme", ""),
                "description": data.get("description", ""), "organizer_email": data.get("organizer_email", ""),
                "organizer_name": data.get("organizer_name", "")})
        except DomainError as exc:
            return await self._projects_page(request, account, errors=field_errors(exc), values=data,
                                             status=exc.status)
        return redirect(f"/coordinator/projects/{project['id']}", "created")

    async def _project_page(self, request: Request, account: CurrentAccount, project_id: int, *,
                            errors: dict | None = None, values: dict | None = None, status: int = 200) -> Template:
        project = await projects.get_project(account, project_id)
        series = await meetings.list_series(account, project_id)
        organizations = sorted(await people.list_organizations(), key=lambda o: o["name"])
        defaults = {"series.mode": "online", "series.timezone": "UTC", "series.duration_minutes": "60"}
        return page(request, "coordinator/project.html", status=status, account=account, project=project,
                    series=series, organizations=organizations, languages=LANGUAGES, modes=MODES,
                    errors=errors or {}, values={**defaults, **(values or {})},
                    series_open=any(k.startswith("series.") for k in errors or {}))

    @get("/projects/{project_id:int}", name="project")
    async def project(self, request: Request, project_id: FromPath[int],
                      account: NamedDependency[CurrentAccount]) -> Template:
        return await self._project_page(request, account, project_id)

    @post("/projects/{project_id:int}/members", name="cohort-add")
    async def add_member(self, request: Request, project_id: FromPath[int],
                         account: NamedDependency[CurrentAccount]) -> Response:
        data = await form_data(request)
        contacts = []
        if data.get("email") or data.get("name"):
            contacts.append({"email": data.get("email", ""), "name": data.get("name", ""),
                             "language": data.get("language") or "en"})
        organization_id = int_or_none(data.get("organization_id"))
        try:
            if organization_id is None:
                raise InvalidInput([FieldError("organization_id", "choose an organization")])
            await projects.add_member(account, project_id, organization_id, contacts)
        except DomainError as exc:
            if isinstance(exc, NotFound):
                raise
            errors = {k.replace("contacts[0].", ""): v for k, v in field_errors(exc).items()}
            return await self._project_page(request, account, project_id, status=exc.status,
                                            errors={f"member.{k}": v for k, v in errors.items()},
                                            values={f"member.{k}": v for k, v in data.items()})
        return redirect(f"/coordinator/projects/{project_id}#cohort", "saved")

    @post("/projects/{project_id:int}/contacts", name="contact-add")
    async def add_contact(self, request: Request, project_id: FromPath[int],
                          account: NamedDependency[CurrentAccount]) -> Response:
        data = await form_data(request)
        try:
            await projects.add_contact(account, project_id, {
                "organization_id": int_or_none(data.get("organization_id")), "email": data.get("email", ""),
                "name": data.get("name", ""), "language": data.get("language") or "en"})
        except DomainError as exc:
            if isinstance(exc, NotFound):
                raise
            org = data.get("organization_id", "")
            return await self._project_page(request, account, project_id, status=exc.status,
                                            errors=_prefixed(f"contact{org}", exc),
                                            values={f"contact{org}.{k}": v for k, v in data.items()})
        return redirect(f"/coordinator/projects/{project_id}#cohort", "saved")

    @post("/projects/{project_id:int}/series", name="series-create")
    async def create_series(self, request: Request, project_id: FromPath[int],
                            account: NamedDependency[CurrentAccount]) -> Response:
        data = await form_data(request)
        errors: list[FieldError] = []
        start = None
        try:
            start = datetime.fromisoformat(data.get("start", ""))
        except ValueError:
            errors.append(FieldError("start", "must be a date and time, e.g. 2026-10-06T14:00"))
        duration = int_or_none(data.get("duration_minutes"))
        if duration is None:
            errors.append(FieldError("duration_minutes", "must be a whole number of minutes"))
        try:
            if errors:
                raise InvalidInput(errors)
            series = await meetings.create_series(account, project_id, {
                "title": data.get("title", ""), "mode": data.get("mode", "online"),
                "timezone": data.get("timezone", ""), "start": start, "duration_minutes": duration,
                "rrule": data.get("rrule") or None, "description": data.get("description", ""),
                "location": data.get("location", ""), "online_url": data.get("online_url", "")})
        except DomainError as exc:
            if isinstance(exc, NotFound):
                raise
            return await self._project_page(request, account, project_id, status=exc.status,
                                            errors=_prefixed("series", exc),
                                            values={f"series.{k}": v for k, v in data.items()})
        return redirect(f"/coordinator/series/{series['id']}", "created")

    @get("/series/{series_id:int}", name="series")
    async def series(self, request: Request, series_id: FromPath[int],
                     account: NamedDependency[CurrentAccount]) -> Template:
        series = await meetings.get_series(account, series_id)
        project = await projects.get_project(account, series["project_id"])
        occurrences = await meetings.list_occurrences(account, series_id)
        return page(request, "coordinator/series.html", account=account, series=series, project=project,
                    occurrences=occurrences)

    async def _occurrence_page(self, request: Request, account: CurrentAccount, series_id: int, key: str, *,
                               errors: dict | None = None, values: dict | None = None,
                               status: int = 200) -> Template:
        series = await meetings.get_series(account, series_id)
        answers = await meetings.responses(account, series_id, key)
        record = await meeting_records.record(account, series_id, key)
        present = {a["person_id"] for a in record["attendance"]}
        return page(request, "coordinator/occurrence.html", status=status, account=account, series=series,
                    key=key, answers=answers, record=record, present=present, errors=errors or {},
                    values=values or {})

    @get("/series/{series_id:int}/occurrences/{key:str}", name="occurrence")
    async def occurrence(self, request: Request, series_id: FromPath[int], key: FromPath[str],
                         account: NamedDependency[CurrentAccount]) -> Template:
        return await self._occurrence_page(request, account, series_id, key)

    @post("/series/{series_id:int}/occurrences/{key:str}/attendance", name="attendance")
    async def attendance(self, request: Request, series_id: FromPath[int], key: FromPath[str],
                         account: NamedDependency[CurrentAccount]) -> Response:
        data = await form_data(request)
        people_present = [int(p) for p in data.get("present", []) if str(p).isdigit()]
        await meeting_records.set_attendance(account, series_id, key, people_present)
        return redirect(f"/coordinator/series/{series_id}/occurrences/{key}#attendance", "saved")

    @post("/series/{series_id:int}/occurrences/{key:str}/minutes", name="minutes")
    async def minutes(self, request: Request, series_id: FromPath[int], key: FromPath[str],
                      account: NamedDependency[CurrentAccount]) -> Response:
        data = await form_data(request)
        await meeting_records.set_minutes(account, series_id, key, data.get("minutes", ""))
        return redirect(f"/coordinator/series/{series_id}/occurrences/{key}#minutes", "saved")

    @post("/series/{series_id:int}/occurrences/{key:str}/actions", name="action-add")
    async def add_action(self, request: Request, series_id: FromPath[int], key: FromPath[str],
                         account: NamedDependency[CurrentAccount]) -> Response:
        data = await form_data(request)
        try:
            due = date.fromisoformat(data["due_date"]) if data.get("due_date") else None
        except ValueError:
            due = None
        try:
            await meeting_records.add_action(account, series_id, key, {
                "title": data.get("title", ""), "owner_person_id": int_or_none(data.get("owner_person_id")),
                "due_date": due})
        except DomainError as exc:
            if isinstance(exc, NotFound):
                raise
            return await self._occurrence_page(request, account, series_id, key, status=exc.status,
                                               errors=_prefixed("action", exc),
                                               values={f"action.{k}": v for k, v in data.items()})
        return redirect(f"/coordinator/series/{series_id}/occurrences/{key}#actions", "saved")

    @post("/actions/{action_id:int}", name="action-update")
    async def update_action(self, request: Request, action_id: FromPath[int],
                            account: NamedDependency[CurrentAccount]) -> Response:
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
    async def rsvp(self, request: Request, token: FromPath[str], answer: FromQuery[str] = "accepted",
                   occurrence: FromQuery[str] = "") -> Template:
        invitation = await meeting_rsvp.view(token)
        chosen = next((o for o in invitation["occurrences"] if o["id"] == occurrence), None)
        return page(request, "delegate/rsvp.html", invitation=invitation, occurrence=chosen,
                    suggested=answer if answer in ("accepted", "declined", "tentative") else "accepted",
                    answered=False)

    @post("/", name="rsvp-answer", status_code=200)
    async def answer(self, request: Request, token: FromPath[str]) -> Template:
        data = await form_data(request)
        result = await meeting_rsvp.answer(token, data.get("answer", ""), data.get("occurrence") or None)
        return page(request, "delegate/rsvp.html", invitation=result, occurrence=None, suggested="",
                    answered=True)
