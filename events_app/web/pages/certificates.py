"""Certificates of attendance on pages: the public verification page (no login, limited per client like the API
next to it) and the organizer's button that sends every checked-in delegate their certificate after the event.
The delegate's own button is on the manage page (pages.delegate)."""

from __future__ import annotations

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath
from litestar.response import Template

from events_app.services.onsite import attendance, certificates, checkin
from events_app.services.people.accounts import CurrentAccount, require_organizer
from events_app.web import abuse
from events_app.web.pages.common import field_errors, language_of, page, provide_page_account, redirect, redisplay_on


class CertificateVerificationPage(Controller):
    path = "/certificates/{code:str}"
    include_in_schema = False

    @get("/", name="certificate-verify", cache_control=None)
    async def verify(self, request: Request, code: FromPath[str]) -> Template:
        found = await certificates.verify(code, abuse.client_ip(request))
        lang = language_of(request)
        if found["state"] == "genuine":
            found["dates"] = certificates.dates_text(lang, found["starts_at"], found["ends_at"], found["timezone"])
            found["hours_text"] = certificates.hours_text(lang, found["minutes"])
        response = page(
            request,
            "public/certificate.html",
            status=200 if found["state"] == "genuine" else 404,
            certificate=found,
        )
        response.headers["cache-control"] = "no-store"
        response.headers["x-robots-tag"] = "noindex"
        return response


class CertificateSendPages(Controller):
    """The attendance page's button: queue the certificates of every checked-in delegate."""

    path = "/organizer/events/{event_id:int}/certificates"
    include_in_schema = False
    dependencies = {"account": Provide(provide_page_account)}

    @post("/", name="certificates-send")
    async def send(
        self, request: Request, event_id: FromPath[int], account: NamedDependency[CurrentAccount]
    ) -> Response:
        await require_organizer(account, event_id)  # another event's organizer: the error page (403/404)

        async def refused(exc) -> Template:
            report = await attendance.event_attendance(account, event_id, language_of(request))
            event = await checkin.require_checkin(account, event_id)
            return page(
                request,
                "organizer/attendance.html",
                account=account,
                report=report,
                event={"id": event_id, "title": event.event_title},
                errors=field_errors(exc),
                status=exc.status,
            )

        async with redisplay_on(refused, url_names=("event",)):
            result = await certificates.send_all(account, event_id)
        done = "certificates-queued" if result["queued"] else "certificates-already-sent"
        return redirect(f"/organizer/events/{event_id}/attendance", done)
