"""What every page handler shares: rendering with the visitor's language, the organizer's session cookie, form
reading, field errors and redirects.

Pages call the same services as the API. An organizer's session is the API's bearer-token session
(services.people.accounts) kept in an HttpOnly cookie, so logging out anywhere ends both.
"""

from __future__ import annotations

import hmac
import inspect
from collections.abc import AsyncIterator, Awaitable, Callable, Collection
from contextlib import asynccontextmanager
from typing import Any
from urllib.parse import quote, urlsplit

from litestar import Request, Response
from litestar.datastructures import Cookie, FormMultiDict
from litestar.exceptions import PermissionDeniedException
from litestar.middleware.csrf import CSRF_SECRET_LENGTH, generate_csrf_hash
from litestar.response import Redirect, Template
from litestar.utils.scope.state import ScopeState

from events_app.domain.errors import DomainError, Gone, NotFound, Unauthorized
from events_app.services.people import accounts, people
from events_app.services.people.accounts import SESSION_LIFETIME, CurrentAccount
from events_app.settings import get_settings
from events_app.web.errors import PAGE_UNSTORABLE, Cause, cause_of
from events_app.web.pages.i18n import LANG_COOKIE, N_, choose_language
from events_app.web.pages.wording import human

SESSION_COOKIE = "session"
NOT_PAGES = ("/api", "/schema", "/swagger", "/health")


def is_page_path(path: str) -> bool:
    """Everything outside the JSON API, its documentation and the health probe is a page."""
    return not any(path == p or path.startswith(p + "/") for p in NOT_PAGES)


CSRF_COOKIE = "csrftoken"
# A form that uploads a file opts out of the CSRF middleware, which would read the whole body (up to the route's
# limit) before the handler's permission check; the handler checks first, then calls checked_form.
UPLOAD_FORM = {"exclude_from_csrf": True}


def _token_secret(token: str) -> str | None:
    """The random part of a CSRF token whose signature (HMAC with the secret key) is right, else None."""
    secret, signature = token[:CSRF_SECRET_LENGTH], token[CSRF_SECRET_LENGTH:]
    if len(secret) != CSRF_SECRET_LENGTH or not signature:
        return None
    expected = generate_csrf_hash(token=secret, secret=get_settings().secret_key)
    return secret if hmac.compare_digest(signature, expected) else None


async def checked_form(request: Request) -> FormMultiDict:
    """The form of an UPLOAD_FORM route, read once the handler has checked who may post it, with the CSRF check
    the middleware makes for every other form: the form's token and the cookie's are both signed and the same."""
    form = await request.form()
    sent, cookie = str(form.get("_csrf_token") or ""), request.cookies.get(CSRF_COOKIE) or ""
    secret = _token_secret(sent)
    if secret is None or secret != _token_secret(cookie):
        raise PermissionDeniedException("CSRF token verification failed")
    ScopeState.from_scope(request.scope).csrf_token = sent  # the page it answers with has forms of its own
    return form


def secure_cookies() -> bool:
    return get_settings().public_url.startswith("https://")


def language_of(request: Request) -> str:
    return choose_language(request.cookies.get(LANG_COOKIE), request.headers.get("accept-language"))


def page(
    request: Request, template: str, *, status: int = 200, cookies: list[Cookie] | None = None, **context: Any
) -> Template:
    """Render a page in the visitor's language. `errors` maps field names to messages; `values` keeps input."""
    context.setdefault("errors", {})
    context.setdefault("values", {})
    context.setdefault("account", None)
    context.setdefault("notice", notice_of(request))
    return Template(
        template_name=template,
        status_code=status,
        cookies=cookies or [],
        context={"lang": language_of(request), "path": request.url.path, **context},
    )


# Notices after a redirect (Post/Redirect/Get): a known key in ?done=, never free text from the URL. N_ marks them
# for the catalogue check; the page translates them when it shows them.
NOTICES = {
    "cancelled": N_("Your registration is cancelled."),
    "accepted": N_("You accepted the offer: your seat is confirmed."),
    "member-added": N_("The member is registered; they will receive an email."),
    "substituted": N_("The seat now belongs to the new member; both people are told by email."),
    "saved": N_("Saved."),
    "published": N_("The event is published."),
    "approved": N_("Registration approved."),
    "rejected": N_("Registration rejected."),
    "moved": N_("Registration moved to the other category."),
    "reg-cancelled": N_("Registration cancelled."),
    "released": N_("Pending calendar updates were sent."),
    "resent": N_("The message is queued again."),
    "sent": N_("The announcement is queued for sending."),
    "logged-out": N_("You are logged out."),
    "link-sent": N_("If this address is registered, the manage link is on its way to it."),
    "registered-link-mailed": N_(
        "Thank you for registering. Your ticket and the link to manage your registration are on their way to your "
        "email address: this category is for members, so only the address's mailbox receives them."
    ),
    "created": N_("Created."),
    "removed": N_("Removed."),
    "session-cancelled": N_(
        "The session is cancelled; everyone who holds it in their calendar receives a cancellation."
    ),
    "biography-saved": N_("The biography is saved; it shows with the person's sessions."),
    "person-added": N_("The person is added to the session; they receive it in their calendar."),
    "person-removed": N_("The person is no longer in the session; they receive a calendar cancellation."),
    "booked": N_("The session is in your agenda."),
    "dropped": N_("The session is no longer in your agenda."),
    "answers-saved": N_("Your answers are saved."),
    "invited": N_("The invitation is on its way."),
    "code-created": N_("The access code is ready to hand out."),
    "delegation-created": N_("The delegation is created; its head receives their manage link by email."),
    "seats-saved": N_("The seat quota is saved."),
    "series-updated": N_("The series is changed; every invitee receives the updated invitation."),
    "unchanged": N_("Nothing changed, so nothing was sent."),
    "series-cancelled": N_("The series is cancelled; every invitee receives a calendar cancellation."),
    "occurrence-moved": N_("The meeting is changed; every invitee receives the update."),
    "occurrence-cancelled": N_("The meeting is cancelled; every invitee receives a calendar cancellation."),
    "event-cancelled": N_("The event is cancelled; everyone registered receives a calendar cancellation."),
    "access-link-sent": N_("If we know this address, a link is on its way to it. It works once, for 30 minutes."),
    "person-session-ended": N_("Your session has ended. Ask for a new link to continue."),
    "profile-saved": N_("Your details are saved."),
    "announcements-stopped": N_("You will receive no more announcements."),
    "erased": N_("Your personal data is erased."),
    "person-logged-out": N_("You are logged out of your personal data."),
    "reset-sent": N_("If this address belongs to an organizer account, a link to choose a new password is on its way."),
    "password-reset": N_("Your new password is saved and every session was logged out. Log in with it."),
    "password-changed": N_("Your new password is saved; your other sessions were logged out."),
    "certificate-sent": N_("Your certificate of attendance is on its way to your email address."),
    "certificates-queued": N_("The certificates are queued: every checked-in delegate receives theirs by email."),
    "certificates-already-sent": N_("Every checked-in delegate's certificate was already sent: nothing new to send."),
}


def notice_of(request: Request) -> str:
    return NOTICES.get(request.query_params.get("done", ""), "")


def redirect(path: str, done: str | None = None) -> Redirect:
    if done:
        path, hash_, fragment = path.partition("#")
        path += ("&" if "?" in path else "?") + f"done={quote(done)}" + hash_ + fragment
    return Redirect(path=path, status_code=303)


def local_path(target: str | None, default: str = "/") -> str:
    """Only a path on this site (no scheme, no host, no '//' trick) may be a redirect target."""
    if not target:
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return default
    return target


def field_errors(exc: DomainError) -> dict[str, str]:
    """A service error as {field: message}; errors not about one field go under '_form'."""
    errors: dict[str, str] = {}
    for error in exc.errors:
        errors.setdefault(error.field or "_form", human(error.message))
    if not errors:
        errors["_form"] = human(exc.detail)
    return errors


def prefixed(prefix: str, exc: DomainError) -> dict[str, str]:
    """field_errors for one of a page's several forms, whose inputs are named `<prefix>.<field>`."""
    return {f"{prefix}.{k}": v for k, v in field_errors(exc).items()}


class Redisplay(Exception):
    """Carries the page re-rendered for a refused form to the app's error handler, which sends it as it is."""

    def __init__(self, response: Response) -> None:
        super().__init__(response.status_code)
        self.response = response


@asynccontextmanager
async def redisplay_on(
    render: Callable[[DomainError], Response | Awaitable[Response]], *, url_names: Collection[str] | None = None
) -> AsyncIterator[None]:
    """Run a form's service call; a DomainError it raises re-renders the form through `render(exc)` (the handler
    names the page it lands on and the errors it shows there, typically `status=exc.status` and
    `errors=field_errors(exc)`).

    What the URL itself names is not the form's fault and goes to the shared error page (web.errors decides its
    status and text): a NotFound of the kinds in `url_names` (every NotFound when None), and a Gone link. Any other
    exception (an unreachable database, a bug) passes through untouched to the same error page.

        async with redisplay_on(lambda exc: self._event_page(request, account, event_id, status=exc.status,
                                                             errors=field_errors(exc))):
            await events.publish_event(account, event_id)
        return redirect(...)
    """
    try:
        yield
    except DomainError as exc:
        if isinstance(exc, Gone) or (isinstance(exc, NotFound) and (url_names is None or exc.what in url_names)):
            raise
        response = render(exc)
        if inspect.isawaitable(response):
            response = await response
        raise Redisplay(response) from exc
    except Exception as exc:
        # A value the database cannot store (a text beyond its column, a number beyond its range): the form comes
        # back with what was typed and the error page's sentence, instead of the error page without the input.
        if cause_of(exc) is not Cause.UNSTORABLE:
            raise
        response = render(DomainError(PAGE_UNSTORABLE))
        if inspect.isawaitable(response):
            response = await response
        raise Redisplay(response) from exc


async def form_data(request: Request) -> dict[str, Any]:
    """The submitted form as {name: value}, with repeated names (checkboxes) as lists under 'name[]'."""
    form = await request.form()
    data: dict[str, Any] = {}
    for key in form:
        if key == "_csrf_token":
            continue
        values = form.getall(key)
        if key.endswith("[]"):
            data[key[:-2]] = [str(v) for v in values]
        else:
            data[key] = str(values[-1]).strip() if values else ""
    return data


# --------------------------------------------------------------------------- organizer session


class LoginRequired(Exception):
    """A page for organizers was opened without a valid session: the error handler sends them to /login."""


def session_cookie(token: str) -> Cookie:
    return Cookie(
        key=SESSION_COOKIE,
        value=token,
        path="/",
        httponly=True,
        samesite="lax",
        secure=secure_cookies(),
        max_age=int(SESSION_LIFETIME.total_seconds()),
    )


def expired_session_cookie() -> Cookie:
    return Cookie(
        key=SESSION_COOKIE, value="", path="/", httponly=True, samesite="lax", secure=secure_cookies(), max_age=0
    )


async def provide_page_account(request: Request) -> CurrentAccount:
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        raise LoginRequired()
    try:
        return await accounts.authenticate(token)
    except Unauthorized:
        raise LoginRequired() from None


async def optional_page_account(request: Request) -> CurrentAccount | None:
    try:
        return await provide_page_account(request)
    except LoginRequired:
        return None


def int_or_none(value: Any) -> int | None:
    try:
        return int(str(value).strip()) if str(value).strip() != "" else None
    except ValueError:
        return None


ORGANIZATION_CHOICES = 100  # the picker lists this many matches; typing narrows them (the network has thousands)


async def organization_choices(query: str | None, selected: Any = None) -> list[dict]:
    """The organization picker's options: those matching the visitor's search (accents and case ignored; the
    first ones by name when nothing is typed), plus the one already chosen so a redisplayed form keeps it."""
    found = await people.list_organizations(q=(query or "").strip() or None, limit=ORGANIZATION_CHOICES)
    chosen = int_or_none(selected)
    if chosen is not None and all(o["id"] != chosen for o in found):
        found += [o for o in await people.organizations_by_ids([chosen])]
    return found
