"""Server-rendered pages for delegates, organizers and coordinators (Jinja2 templates, plain CSS, a little JS).

Pages call the same services as the JSON API. Forms post with a CSRF token (Litestar's CSRF middleware, double
submit: a signed cookie plus a hidden field); /api stays exempt because it authenticates with bearer tokens, never
cookies. Every page carries a Content-Security-Policy without inline scripts or styles.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import quote

from jinja2 import FileSystemLoader, pass_context, select_autoescape
from litestar import Request, Response
from litestar.config.csrf import CSRFConfig
from litestar.datastructures import CacheControlHeader
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.response import Redirect, Template
from litestar.static_files import create_static_files_router
from litestar.template.config import TemplateConfig
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from events_app.domain.recurrence import WEEKDAYS
from events_app.domain.text import paragraphs
from events_app.domain.vocab import country_name, time_zones
from events_app.settings import get_settings
from events_app.templating import Environment, FragmentCache, language_only
from events_app.web.errors import answer_for, problem
from events_app.web.pages import i18n, labels, recurrence, wording
from events_app.web.pages.access import AccessPages
from events_app.web.pages.accounts import PasswordChangePages, PasswordResetPages
from events_app.web.pages.agenda import AgendaPages
from events_app.web.pages.certificates import CertificateSendPages, CertificateVerificationPage
from events_app.web.pages.checkin import AttendancePages, CheckinPages
from events_app.web.pages.common import CSRF_COOKIE, LoginRequired, Redisplay, is_page_path, page, secure_cookies
from events_app.web.pages.content import ContentPages
from events_app.web.pages.coordinator import CoordinatorPages, RsvpPages
from events_app.web.pages.delegate import ManagePages, ProgrammeBookingPages, RegistrationPages, ViewPage
from events_app.web.pages.organizer import AuthPages, OrganizerPages
from events_app.web.pages.person import AccessLinkPages, PersonPages
from events_app.web.pages.public import PublicPages
from events_app.web.pages.release import ReleasePages
from events_app.web.schema_ui import SCHEMA_CSP

WEB = Path(__file__).resolve().parent.parent
TEMPLATES = WEB / "templates"
STATIC = WEB / "static"

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; "
    "connect-src 'self'; frame-src 'self'; form-action 'self'; frame-ancestors 'self'; base-uri 'none'; "
    "object-src 'none'"
)
PAGE_HEADERS = {
    b"content-security-policy": CONTENT_SECURITY_POLICY.encode(),
    b"x-content-type-options": b"nosniff",
    b"referrer-policy": b"same-origin",  # manage and RSVP links carry secrets: never leak them to other sites
    b"x-frame-options": b"SAMEORIGIN",
    b"permissions-policy": b"camera=(), microphone=(), geolocation=()",
}


def _language(context) -> str:
    return context.get("lang", i18n.DEFAULT_LANGUAGE)


def _environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(["html"]),
        trim_blocks=True,
        lstrip_blocks=True,
        extensions=["jinja2.ext.i18n", FragmentCache],
    )

    # Jinja's i18n extension: `_`, `gettext`, `ngettext` and {% trans %} translate through the request language's
    # gettext catalogue (the page context's `lang`). `_("{count} seats left", count=3)` fills str.format names.
    @language_only
    @pass_context
    def gettext(context, text: str, **values) -> str:
        if isinstance(text, wording.PageText):  # a service message in the pages' words: translate, then fill in
            inner = {k: gettext(context, v) if isinstance(v, wording.PageText) else v for k, v in text.values.items()}
            return i18n.translate(_language(context), text.template, **{**inner, **values})
        return i18n.translate(_language(context), text, **values)

    @language_only
    @pass_context
    def ngettext(context, singular: str, plural: str, n: int, **values) -> str:
        return i18n.ntranslate(_language(context), singular, plural, n, **values)

    @pass_context
    def date_filter(context, value, tzid=None) -> str:
        return i18n.format_date(_language(context), value, tzid)

    @pass_context
    def datetime_filter(context, value, tzid=None) -> str:
        return i18n.format_datetime(_language(context), value, tzid)

    @pass_context
    def time_filter(context, value, tzid=None) -> str:
        return i18n.format_time(value, tzid, _language(context))

    @pass_context
    def number_filter(context, value) -> str:
        return i18n.format_number(_language(context), value)

    @pass_context
    def word_filter(context, value) -> str:
        return i18n.translate(_language(context), labels.word(value))

    @pass_context
    def language_name_filter(context, code) -> str:
        return i18n.language_name(_language(context), code)

    @pass_context
    def rule_words_filter(context, rule, start=None, tzid=None) -> str:
        return recurrence.rule_in_words(_language(context), rule, start, tzid)

    @pass_context
    def weekday_name_filter(context, code) -> str:
        return recurrence.weekday_name(_language(context), code)

    @pass_context
    def weekday_date_filter(context, value, tzid=None) -> str:
        return i18n.format_day(_language(context), value, tzid)

    env.install_gettext_callables(gettext, ngettext, newstyle=False)  # type: ignore[attr-defined]
    env.globals["_"] = gettext  # the extension's `_` looks `gettext` up and calls it through a derived context
    env.globals.update(ui_languages=i18n.UI_LANGUAGES, country_name=country_name)
    env.filters.update(
        date=date_filter,
        datetime=datetime_filter,
        time=time_filter,
        number=number_filter,
        word=word_filter,
        language_name=language_name_filter,
        day=weekday_date_filter,
        paragraphs=paragraphs,
        human=wording.human,
        rule_words=rule_words_filter,
        weekday_name=weekday_name_filter,
    )
    env.globals.update(time_zones=time_zone_names(), weekdays=WEEKDAYS, ordinals=recurrence.ORDINAL_WORDS)
    return env


def time_zone_names() -> list[str]:
    """The IANA zones people choose from (Area/City names, no legacy aliases such as 'EST' or 'Etc/GMT+5')."""
    return sorted(z for z in time_zones() if "/" in z and not z.startswith(("Etc/", "SystemV/", "posix/", "right/")))


def template_config() -> TemplateConfig:
    return TemplateConfig(instance=JinjaTemplateEngine.from_environment(_environment()))


def csrf_config() -> CSRFConfig:
    return CSRFConfig(
        secret=get_settings().secret_key,
        cookie_name=CSRF_COOKIE,
        cookie_httponly=True,
        cookie_samesite="lax",
        cookie_secure=secure_cookies(),
        exclude=["^/api/", "^/api$", "^/schema", "^/swagger", "^/health", "^/static/"],
    )


HSTS = b"max-age=31536000"
SCHEMA_HEADERS = {
    b"content-security-policy": SCHEMA_CSP.encode(),
    b"referrer-policy": b"no-referrer",
    b"x-frame-options": b"DENY",
}


def security_headers(app: ASGIApp) -> ASGIApp:
    """Headers on every response: nosniff everywhere, HSTS when PUBLIC_URL is https; on pages the CSP and friends
    and `Cache-Control: no-store` unless the handler chose otherwise (pages show manage links, sessions, forms);
    on the API documentation its own strict CSP (its assets are served from /static). A handler that sets one
    of these headers itself keeps its value."""

    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await app(scope, receive, send)
            return
        path = scope["path"]
        extra: dict[bytes, bytes] = {b"x-content-type-options": b"nosniff"}
        if get_settings().https:
            extra[b"strict-transport-security"] = HSTS
        no_store = False
        if is_page_path(path):
            extra.update(PAGE_HEADERS)
            no_store = not path.startswith("/static/")
        elif path == "/schema" or path.startswith("/schema/"):
            extra.update(SCHEMA_HEADERS)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                headers += [(name, value) for name, value in extra.items() if name not in present]
                if no_store and b"cache-control" not in present:
                    headers.append((b"cache-control", b"no-store"))
                message = {**message, "headers": headers}
            await send(message)

        await app(scope, receive, send_with_headers)

    return middleware


TITLES = {
    400: "The request could not be understood",
    401: "Please log in",
    403: "Not allowed",
    404: "Page not found",
    405: "Not allowed",
    409: "That is not possible right now",
    410: "Gone",
    413: "Too much at once",
    422: "Please check what you entered",
    429: "Too many attempts",
    500: "Something went wrong",
    503: "Service unavailable",
}


def page_error(request: Request, exc: Exception) -> Response:
    """Errors on pages as friendly HTML in the visitor's language, with the same status and Retry-After as the API
    gives for the same exception (web.errors.answer_for decides both)."""
    if isinstance(exc, LoginRequired):
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return Redirect(path=f"/login?next={quote(target)}", status_code=303)
    answer = answer_for(request, exc)
    response = page(
        request,
        "error.html",
        status=answer.status,
        title=TITLES.get(answer.status, "Error"),
        detail=wording.human(answer.page_detail),
        status_code=answer.status,
    )
    response.headers.update(answer.headers or {})
    return response


def error_answer(request: Request, exc: Exception) -> Response:
    """The app's one exception handler: an HTML page on page paths, problem+json elsewhere."""
    if isinstance(exc, Redisplay):
        return exc.response
    if is_page_path(request.url.path) or isinstance(exc, LoginRequired):
        return page_error(request, exc)
    return problem(request, exc)


PAGE_CONTROLLERS = [
    PublicPages,
    RegistrationPages,
    ManagePages,
    ProgrammeBookingPages,
    ViewPage,
    AuthPages,
    OrganizerPages,
    AgendaPages,
    ContentPages,
    AccessPages,
    CoordinatorPages,
    RsvpPages,
    ReleasePages,
    AccessLinkPages,
    PersonPages,
    PasswordResetPages,
    PasswordChangePages,
    CheckinPages,
    AttendancePages,
    CertificateVerificationPage,
    CertificateSendPages,
]


def page_routes() -> list:
    return [
        *PAGE_CONTROLLERS,
        create_static_files_router(
            path="/static",
            directories=[STATIC],
            name="static",
            include_in_schema=False,
            cache_control=CacheControlHeader(max_age=3600, public=True),
        ),
    ]


__all__ = [
    "page_routes",
    "template_config",
    "csrf_config",
    "security_headers",
    "error_answer",
    "LoginRequired",
    "Template",
]
