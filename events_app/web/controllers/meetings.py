"""Pilot projects, their cohort, meeting series, occurrences, records, RSVPs and calendar feeds."""

from __future__ import annotations

import msgspec
from litestar import Controller, Response, delete, get, patch, post, put
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, JSONBody

from events_app.services.meetings import meeting_feeds, meeting_records, meeting_rsvp, meetings, projects
from events_app.services.people.accounts import CurrentAccount
from events_app.web.auth import ORGANIZER
from events_app.web.schemas import present
from events_app.web.schemas_meetings import (
    ActionCreate,
    ActionOut,
    ActionUpdate,
    AttendanceIn,
    ContactCreate,
    CoordinatorCreate,
    DecisionIn,
    DelegationOut,
    DelegationPolicy,
    InboundReplyOut,
    MemberCreate,
    MinutesIn,
    OccurrenceChange,
    OccurrenceOut,
    OccurrenceRecordOut,
    ProjectCreate,
    ProjectOut,
    ProjectUpdate,
    ProposalOut,
    ResponsesOut,
    RsvpIn,
    RsvpOut,
    SeriesCreate,
    SeriesOut,
    SeriesUpdate,
)

COORDINATOR = ORGANIZER  # the same bearer-token login; project roles are checked in the services
CALENDAR = "text/calendar"  # Litestar adds "; charset=utf-8"


def _series_fields(data: SeriesCreate | SeriesUpdate) -> dict:
    """The fields sent, with nested agenda items as plain dicts."""
    fields = present(data)
    if isinstance(fields.get("agenda"), list):
        fields["agenda"] = [msgspec.structs.asdict(item) for item in fields["agenda"]]
    return fields


def _calendar(body: bytes, filename: str) -> Response:
    return Response(
        body,
        media_type=CALENDAR,
        headers={"Content-Disposition": f'inline; filename="{filename}"', "Cache-Control": "private, max-age=300"},
    )


class ProjectController(Controller):
    path = "/api/projects"
    tags = ["pilot projects"]
    dependencies = COORDINATOR

    @post("/", operation_id="createProject", summary="Create a pilot project (you become its coordinator)")
    async def create_project(
        self, data: JSONBody[ProjectCreate], account: NamedDependency[CurrentAccount]
    ) -> ProjectOut:
        return msgspec.convert(await projects.create_project(account, present(data)), ProjectOut)

    @get("/", operation_id="listProjects", summary="The pilot projects you coordinate")
    async def list_projects(self, account: NamedDependency[CurrentAccount]) -> list[ProjectOut]:
        return msgspec.convert(await projects.list_projects(account), list[ProjectOut])

    @get("/{project_id:int}", operation_id="getProject")
    async def get_project(self, project_id: FromPath[int], account: NamedDependency[CurrentAccount]) -> ProjectOut:
        return msgspec.convert(await projects.get_project(account, project_id), ProjectOut)

    @patch("/{project_id:int}", operation_id="updateProject")
    async def update_project(
        self, project_id: FromPath[int], data: JSONBody[ProjectUpdate], account: NamedDependency[CurrentAccount]
    ) -> ProjectOut:
        return msgspec.convert(await projects.update_project(account, project_id, present(data)), ProjectOut)

    @post(
        "/{project_id:int}/cancel",
        operation_id="cancelProject",
        status_code=200,
        summary="Cancel every meeting series of the project (each invitee gets each series' CANCEL)",
    )
    async def cancel_project(self, project_id: FromPath[int], account: NamedDependency[CurrentAccount]) -> ProjectOut:
        return msgspec.convert(await projects.cancel_project(account, project_id), ProjectOut)

    @post("/{project_id:int}/coordinators", operation_id="addCoordinator", status_code=200)
    async def add_coordinator(
        self, project_id: FromPath[int], data: JSONBody[CoordinatorCreate], account: NamedDependency[CurrentAccount]
    ) -> ProjectOut:
        return msgspec.convert(await projects.add_coordinator(account, project_id, data.email), ProjectOut)

    @get(
        "/{project_id:int}/inbound-replies",
        operation_id="listInboundReplies",
        summary="Calendar replies received about the project's series: recorded or rejected, and why",
    )
    async def inbound_replies(
        self, project_id: FromPath[int], account: NamedDependency[CurrentAccount]
    ) -> list[InboundReplyOut]:
        return msgspec.convert(await meeting_rsvp.inbound_replies(account, project_id), list[InboundReplyOut])

    @get(
        "/{project_id:int}/proposals",
        operation_id="listProposals",
        summary="Other times attendees proposed from their calendars (COUNTER), waiting or decided",
    )
    async def proposals(self, project_id: FromPath[int], account: NamedDependency[CurrentAccount]) -> list[ProposalOut]:
        return msgspec.convert(await meeting_rsvp.proposals(account, project_id), list[ProposalOut])

    @post(
        "/{project_id:int}/proposals/{proposal_id:int}",
        operation_id="decideProposal",
        status_code=200,
        summary="Accept (the meeting moves, every invitee gets the update) or decline (DECLINECOUNTER) a proposal",
    )
    async def decide_proposal(
        self,
        project_id: FromPath[int],
        proposal_id: FromPath[int],
        data: JSONBody[DecisionIn],
        account: NamedDependency[CurrentAccount],
    ) -> ProposalOut:
        decided = await meeting_rsvp.decide_proposal(account, project_id, proposal_id, data.accept)
        [out] = [p for p in await meeting_rsvp.proposals(account, project_id) if p["id"] == decided["id"]]
        return msgspec.convert(out, ProposalOut)

    @get(
        "/{project_id:int}/delegations",
        operation_id="listMeetingDelegations",
        summary="Invitees who delegated their place in a calendar reply, and to whom",
    )
    async def delegations(
        self, project_id: FromPath[int], account: NamedDependency[CurrentAccount]
    ) -> list[DelegationOut]:
        return msgspec.convert(await meeting_rsvp.delegations(account, project_id), list[DelegationOut])

    @post(
        "/{project_id:int}/delegations/{delegation_id:int}",
        operation_id="decideMeetingDelegation",
        status_code=200,
        summary="Accept (the delegate is invited) or decline a delegation",
    )
    async def decide_delegation(
        self,
        project_id: FromPath[int],
        delegation_id: FromPath[int],
        data: JSONBody[DecisionIn],
        account: NamedDependency[CurrentAccount],
    ) -> DelegationOut:
        await meeting_rsvp.decide_delegation(account, project_id, delegation_id, data.accept)
        [out] = [d for d in await meeting_rsvp.delegations(account, project_id) if d["id"] == delegation_id]
        return msgspec.convert(out, DelegationOut)

    @put("/{project_id:int}/delegation-policy", operation_id="setDelegationPolicy")
    async def set_delegation_policy(
        self, project_id: FromPath[int], data: JSONBody[DelegationPolicy], account: NamedDependency[CurrentAccount]
    ) -> DelegationPolicy:
        return msgspec.convert(
            await meeting_rsvp.set_delegation_policy(account, project_id, data.allow_delegation), DelegationPolicy
        )


class CohortController(Controller):
    """Organizations and contact people of a project: joining sends the series, leaving sends CANCELs."""

    path = "/api/projects/{project_id:int}"
    tags = ["pilot projects"]
    dependencies = COORDINATOR

    @post("/members", operation_id="addCohortMember", status_code=200)
    async def add_member(
        self, project_id: FromPath[int], data: JSONBody[MemberCreate], account: NamedDependency[CurrentAccount]
    ) -> ProjectOut:
        contacts = [msgspec.structs.asdict(c) for c in data.contacts]
        return msgspec.convert(
            await projects.add_member(account, project_id, data.organization_id, contacts), ProjectOut
        )

    @delete("/members/{organization_id:int}", operation_id="removeCohortMember", status_code=200)
    async def remove_member(
        self, project_id: FromPath[int], organization_id: FromPath[int], account: NamedDependency[CurrentAccount]
    ) -> ProjectOut:
        return msgspec.convert(await projects.remove_member(account, project_id, organization_id), ProjectOut)

    @post("/contacts", operation_id="addContact", status_code=200)
    async def add_contact(
        self, project_id: FromPath[int], data: JSONBody[ContactCreate], account: NamedDependency[CurrentAccount]
    ) -> ProjectOut:
        return msgspec.convert(await projects.add_contact(account, project_id, present(data)), ProjectOut)

    @delete("/contacts/{person_id:int}", operation_id="removeContact", status_code=200)
    async def remove_contact(
        self, project_id: FromPath[int], person_id: FromPath[int], account: NamedDependency[CurrentAccount]
    ) -> ProjectOut:
        return msgspec.convert(await projects.remove_contact(account, project_id, person_id), ProjectOut)


class ProjectSeriesController(Controller):
    path = "/api/projects/{project_id:int}/series"
    tags = ["meeting series"]
    dependencies = COORDINATOR

    @post("/", operation_id="createMeetingSeries", summary="Create a one-off meeting or a recurring series")
    async def create_series(
        self, project_id: FromPath[int], data: JSONBody[SeriesCreate], account: NamedDependency[CurrentAccount]
    ) -> SeriesOut:
        return msgspec.convert(await meetings.create_series(account, project_id, _series_fields(data)), SeriesOut)

    @get("/", operation_id="listMeetingSeries")
    async def list_series(self, project_id: FromPath[int], account: NamedDependency[CurrentAccount]) -> list[SeriesOut]:
        return msgspec.convert(await meetings.list_series(account, project_id), list[SeriesOut])


class MeetingSeriesController(Controller):
    path = "/api/meeting-series"
    tags = ["meeting series"]
    dependencies = COORDINATOR

    @get("/{series_id:int}", operation_id="getMeetingSeries")
    async def get_series(self, series_id: FromPath[int], account: NamedDependency[CurrentAccount]) -> SeriesOut:
        return msgspec.convert(await meetings.get_series(account, series_id), SeriesOut)

    @patch("/{series_id:int}", operation_id="updateMeetingSeries", summary="Change the whole series")
    async def update_series(
        self, series_id: FromPath[int], data: JSONBody[SeriesUpdate], account: NamedDependency[CurrentAccount]
    ) -> SeriesOut:
        return msgspec.convert(await meetings.update_series(account, series_id, _series_fields(data)), SeriesOut)

    @post("/{series_id:int}/cancel", operation_id="cancelMeetingSeries", status_code=200)
    async def cancel_series(self, series_id: FromPath[int], account: NamedDependency[CurrentAccount]) -> SeriesOut:
        return msgspec.convert(await meetings.cancel_series(account, series_id), SeriesOut)

    @get(
        "/{series_id:int}/attendance.csv",
        operation_id="attendanceReport",
        media_type="text/csv",
        summary="Attendance per organization across the series (CSV)",
    )
    async def attendance_csv(self, series_id: FromPath[int], account: NamedDependency[CurrentAccount]) -> Response:
        return Response(
            await meeting_records.attendance_csv(account, series_id),
            media_type="text/csv",
            headers={"Content-Disposition": f'attachment; filename="attendance-series-{series_id}.csv"'},
        )


class OccurrenceController(Controller):
    """Occurrences are named by their original start in UTC (e.g. 20261006T120000Z)."""

    path = "/api/meeting-series/{series_id:int}/occurrences"
    tags = ["meeting series"]
    dependencies = COORDINATOR

    @get("/", operation_id="listOccurrences", summary="Every occurrence, with moves and cancellations")
    async def list_occurrences(
        self, series_id: FromPath[int], account: NamedDependency[CurrentAccount], timezone: FromQuery[str | None] = None
    ) -> list[OccurrenceOut]:
        return msgspec.convert(await meetings.list_occurrences(account, series_id, timezone), list[OccurrenceOut])

    @get("/{occurrence:str}", operation_id="getOccurrence")
    async def get_occurrence(
        self, series_id: FromPath[int], occurrence: FromPath[str], account: NamedDependency[CurrentAccount]
    ) -> OccurrenceOut:
        return msgspec.convert(await meetings.get_occurrence(account, series_id, occurrence), OccurrenceOut)

    @patch("/{occurrence:str}", operation_id="moveOccurrence", summary="Move one occurrence or change its place")
    async def move_occurrence(
        self,
        series_id: FromPath[int],
        occurrence: FromPath[str],
        data: JSONBody[OccurrenceChange],
        account: NamedDependency[CurrentAccount],
    ) -> OccurrenceOut:
        return msgspec.convert(
            await meetings.move_occurrence(account, series_id, occurrence, present(data)), OccurrenceOut
        )

    @delete("/{occurrence:str}", operation_id="cancelOccurrence", status_code=200, summary="Cancel one occurrence")
    async def cancel_occurrence(
        self, series_id: FromPath[int], occurrence: FromPath[str], account: NamedDependency[CurrentAccount]
    ) -> OccurrenceOut:
        return msgspec.convert(await meetings.cancel_occurrence(account, series_id, occurrence), OccurrenceOut)

    @get("/{occurrence:str}/responses", operation_id="occurrenceResponses", summary="Who is coming")
    async def responses(
        self, series_id: FromPath[int], occurrence: FromPath[str], account: NamedDependency[CurrentAccount]
    ) -> ResponsesOut:
        return msgspec.convert(await meetings.responses(account, series_id, occurrence), ResponsesOut)

    @get("/{occurrence:str}/record", operation_id="occurrenceRecord", summary="Minutes, attendance, actions")
    async def record(
        self, series_id: FromPath[int], occurrence: FromPath[str], account: NamedDependency[CurrentAccount]
    ) -> OccurrenceRecordOut:
        return msgspec.convert(await meeting_records.record(account, series_id, occurrence), OccurrenceRecordOut)

    @put("/{occurrence:str}/minutes", operation_id="setMinutes")
    async def set_minutes(
        self,
        series_id: FromPath[int],
        occurrence: FromPath[str],
        data: JSONBody[MinutesIn],
        account: NamedDependency[CurrentAccount],
    ) -> OccurrenceRecordOut:
        return msgspec.convert(
            await meeting_records.set_minutes(account, series_id, occurrence, data.minutes), OccurrenceRecordOut
        )

    @put("/{occurrence:str}/attendance", operation_id="setAttendance")
    async def set_attendance(
        self,
        series_id: FromPath[int],
        occurrence: FromPath[str],
        data: JSONBody[AttendanceIn],
        account: NamedDependency[CurrentAccount],
    ) -> OccurrenceRecordOut:
        return msgspec.convert(
            await meeting_records.set_attendance(account, series_id, occurrence, data.person_ids), OccurrenceRecordOut
        )

    @post("/{occurrence:str}/actions", operation_id="addAction")
    async def add_action(
        self,
        series_id: FromPath[int],
        occurrence: FromPath[str],
        data: JSONBody[ActionCreate],
        account: NamedDependency[CurrentAccount],
    ) -> ActionOut:
        return msgspec.convert(
            await meeting_records.add_action(account, series_id, occurrence, present(data)), ActionOut
        )


class ActionController(Controller):
    path = "/api/meeting-actions"
    tags = ["meeting series"]
    dependencies = COORDINATOR

    @get("/{action_id:int}", operation_id="getAction")
    async def get_action(self, action_id: FromPath[int], account: NamedDependency[CurrentAccount]) -> ActionOut:
        return msgspec.convert(await meeting_records.get_action(account, action_id), ActionOut)

    @patch("/{action_id:int}", operation_id="updateAction", summary="Mark done (stops carrying over) or edit")
    async def update_action(
        self, action_id: FromPath[int], data: JSONBody[ActionUpdate], account: NamedDependency[CurrentAccount]
    ) -> ActionOut:
        return msgspec.convert(await meeting_records.update_action(account, action_id, present(data)), ActionOut)


class RsvpController(Controller):
    """Answers from the emailed links, no login: the token is the invitation's secret."""

    path = "/api/rsvp"
    tags = ["rsvp"]

    @get("/{token:str}", operation_id="getRsvp", summary="Your invitation and your answers")
    async def get_rsvp(self, token: FromPath[str]) -> RsvpOut:
        return msgspec.convert(await meeting_rsvp.view(token), RsvpOut)

    @post("/{token:str}", operation_id="answerRsvp", status_code=200, summary="Accept, decline or tentative")
    async def answer(self, token: FromPath[str], data: JSONBody[RsvpIn]) -> RsvpOut:
        return msgspec.convert(await meeting_rsvp.answer(token, data.answer, data.occurrence), RsvpOut)


class CalendarFeedController(Controller):
    """Calendar subscriptions reached by secret tokens (calendar apps cannot log in)."""

    path = "/api"
    tags = ["calendar feeds"]

    @get("/projects/feeds/{token:str}/calendar.ics", operation_id="projectCalendarFeed", media_type=CALENDAR)
    async def project_feed(self, token: FromPath[str]) -> Response:
        return _calendar(await meeting_feeds.project_feed(token), "project.ics")

    @get("/people/{token:str}/calendar.ics", operation_id="personCalendarFeed", media_type=CALENDAR)
    async def person_feed(self, token: FromPath[str]) -> Response:
        return _calendar(await meeting_feeds.person_feed(token), "meetings.ics")


# The RSVP page the emails link to (/rsvp/{token}) is rendered by the page layer (web/pages/coordinator.py).
MEETING_CONTROLLERS = [
    ProjectController,
    CohortController,
    ProjectSeriesController,
    MeetingSeriesController,
    OccurrenceController,
    ActionController,
    RsvpController,
    CalendarFeedController,
]
