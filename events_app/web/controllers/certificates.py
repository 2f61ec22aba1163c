"""Certificates of attendance: the delegate asks for theirs (manage token), organizers send them all after the event,
and anyone checks a certificate's code (no login; limited per client)."""

from __future__ import annotations

from datetime import datetime

import msgspec
from litestar import Controller, Request, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath

from events_app.domain.errors import Gone, NotFound
from events_app.services.onsite import certificates
from events_app.services.people.accounts import CurrentAccount
from events_app.web import abuse
from events_app.web.auth import NO_STORE, ORGANIZER


class CertificateRequestOut(msgspec.Struct):
    certificate_id: int
    hours: float
    email: str


class CertificatesSentOut(msgspec.Struct):
    certificates: int  # checked-in delegates with a certificate
    queued: int  # mails queued by this call (0 when every certificate was already sent)


class CertificateOut(msgspec.Struct):
    state: str  # "genuine"
    name: str
    event_id: int
    event_title: str
    starts_at: datetime
    ends_at: datetime
    timezone: str
    hours: float
    minutes: int
    issued_at: datetime


class MyCertificateController(Controller):
    """The delegate's certificate, reached with the manage link's token."""

    path = "/api/registrations/{token:str}/certificate"
    tags = ["certificates"]
    cache_control = NO_STORE

    @post(
        "/",
        operation_id="requestCertificate",
        status_code=202,
        summary="Email me my certificate of attendance (PDF); only after being checked in",
    )
    async def request_certificate(self, token: FromPath[str]) -> CertificateRequestOut:
        return msgspec.convert(await certificates.request_by_token(token), CertificateRequestOut)


class EventCertificatesController(Controller):
    """Organizers send every checked-in delegate their certificate, after the event."""

    path = "/api/events/{event_id:int}/certificates"
    tags = ["certificates"]
    dependencies = ORGANIZER

    @post(
        "/send",
        operation_id="sendCertificates",
        status_code=200,
        summary="Queue one certificate mail per checked-in delegate (pressing again sends nothing twice)",
    )
    async def send(self, event_id: FromPath[int], account: NamedDependency[CurrentAccount]) -> CertificatesSentOut:
        return msgspec.convert(await certificates.send_all(account, event_id), CertificatesSentOut)


class CertificateVerificationController(Controller):
    """Whether a certificate is genuine: anyone with its code (printed on it), no login."""

    path = "/api/certificates/{code:str}"
    tags = ["certificates"]
    cache_control = NO_STORE

    @get("/", operation_id="verifyCertificate", summary="Check a certificate of attendance by its code")
    async def verify(self, request: Request, code: FromPath[str]) -> CertificateOut:
        found = await certificates.verify(code, abuse.client_ip(request))
        if found["state"] == "replaced":
            raise Gone("this certificate was replaced by a newer one with other figures: ask its holder for it")
        if found["state"] != "genuine":
            raise NotFound("certificate", "no certificate has this code: it is not a genuine certificate")
        return msgspec.convert(found, CertificateOut)


CERTIFICATE_CONTROLLERS = [MyCertificateController, EventCertificatesController, CertificateVerificationController]
