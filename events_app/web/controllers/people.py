"""Person-wide actions, by a single-use link emailed to the address on file and the short session it opens."""

from __future__ import annotations

import msgspec
from litestar import Controller, Request, delete, get, patch, post
from litestar.datastructures import CacheControlHeader
from litestar.di import NamedDependency, Provide
from litestar.params import JSONBody

from events_app.services.agenda import speakers
from events_app.services.privacy import person_access
from events_app.web import abuse
from events_app.web.auth import bearer_token
from events_app.web.schemas import present
from events_app.web.schemas_security import (
    AccessIn,
    AccessLinkIn,
    ErasureOut,
    PersonalDataOut,
    PersonProfileOut,
    PersonProfileUpdate,
    PersonSessionOut,
)


async def provide_person(request: Request) -> int:
    """The person of the session in 'Authorization: Bearer <session>' (from POST /api/people/access); 401 else."""
    return await person_access.authenticate(bearer_token(request))


PERSON = {"person_id": Provide(provide_person)}
NO_STORE = CacheControlHeader(no_store=True)  # answers that carry a session or personal data


class PersonAccessController(Controller):
    path = "/api/people"
    tags = ["people"]
    cache_control = NO_STORE

    @post(
        "/access-link",
        operation_id="requestAccessLink",
        status_code=202,
        summary="Email a single-use link to see, change, export or erase your personal data",
        description="Answers 202 whether or not the address is known; the link goes only to that address, works "
        "once and expires after 30 minutes.",
    )
    async def request_link(self, request: Request, data: JSONBody[AccessLinkIn]) -> None:
        await abuse.person_link(request, data.email)
        await person_access.request_link(data.email)

    @post(
        "/access",
        operation_id="useAccessLink",
        status_code=200,
        summary="Use the emailed link once: returns a short session for the /api/people/me routes",
    )
    async def access(self, data: JSONBody[AccessIn]) -> PersonSessionOut:
        session = await person_access.exchange(data.token)
        return PersonSessionOut(session=session["session"], token_type="bearer", expires_at=session["expires_at"])  # noqa: S106 - OAuth token type

    @get("/me", operation_id="getMyProfile", dependencies=PERSON)
    async def me(self, person_id: NamedDependency[int]) -> PersonProfileOut:
        return msgspec.convert(await person_access.profile(person_id), PersonProfileOut)

    @patch(
        "/me",
        operation_id="updateMyProfile",
        dependencies=PERSON,
        summary="Change your name, organization, language or time zone",
    )
    async def update(self, person_id: NamedDependency[int], data: JSONBody[PersonProfileUpdate]) -> PersonProfileOut:
        return msgspec.convert(await speakers.change_profile(person_id, present(data)), PersonProfileOut)

    @get("/me/data", operation_id="exportMyData", dependencies=PERSON, summary="Everything stored about you, as JSON")
    async def my_data(self, person_id: NamedDependency[int]) -> PersonalDataOut:
        return msgspec.convert(await person_access.export(person_id), PersonalDataOut)

    @post(
        "/me/erase",
        operation_id="eraseMyData",
        status_code=200,
        dependencies=PERSON,
        summary="Erase your personal data: every registration is anonymized (upcoming ones cancelled)",
    )
    async def erase(self, person_id: NamedDependency[int]) -> ErasureOut:
        return msgspec.convert(await person_access.erase(person_id), ErasureOut)

    @post(
        "/me/stop-announcements",
        operation_id="stopAllAnnouncements",
        status_code=200,
        dependencies=PERSON,
        summary="Receive no more announcements from any event",
    )
    async def stop_announcements(self, person_id: NamedDependency[int]) -> PersonProfileOut:
        return msgspec.convert(await person_access.stop_announcements(person_id), PersonProfileOut)

    @delete("/me/session", operation_id="endMySession", status_code=204, dependencies=PERSON)
    async def end_session(self, request: Request, person_id: NamedDependency[int]) -> None:
        await person_access.end_session(bearer_token(request) or "")
