"""What the HTML pages share: language, templates, CSRF tokens and the page for an error.

The pages are Japanese first: the language comes from ``?lang=``, then the ``lang`` cookie the
switch sets, then Japanese. Every word a page shows is a message id of the ``gateway`` catalog,
marked with N_() in pages.py or staff.py and translated here, so a template holds no text of its
own (the catalog tool reads only Python files).

CSRF: every form carries a token that a cross-site page cannot know. The job seeker's pages use a
double-submit token (a random cookie, SameSite=Strict, repeated in the form); the staff pages
derive theirs from the session cookie. On top, a POST whose Origin header names another site is
refused, whatever its token.
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

import jinja2
from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from precheck.gateway.deps import CSRF_FIELD, CsrfRefused, app_state, same_origin
from precheck.gateway.rules import DOMAIN
from precheck.i18n import LANGUAGES, Translator
from precheck.result import N_, Message
from precheck.when import day_label, when

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

TEMPLATES = Path(__file__).parent / "templates"
STATIC = Path(__file__).parent / "static"
LANG_COOKIE = "lang"
CSRF_COOKIE = "precheck_csrf"

#: Words of the frame around every page.
FRAME = {
    "site": N_("Online job consultation booking"),
    "skip": N_("Skip to the content"),
    "privacy": N_("Your personal data is protected as at the counter (Employment Security Act, "
                  "Article 5-4) and used only for your consultation."),
    "back_home": N_("Back to the list of offices"),
}

def language(request: Request) -> str:
    """The page's language: ``?lang=``, then the switch's cookie, then Japanese."""
    for candidate in (request.query_params.get("lang"), request.cookies.get(LANG_COOKIE)):
        if candidate in LANGUAGES:
            return candidate
    return LANGUAGES[0]


class Words:
    """Translates the message ids of one page into one language (``words("key")``)."""

    def __init__(self, lang: str, table: Mapping[str, str]) -> None:
        self.lang = lang
        self.table = table
        self.translator = Translator(lang)

    def __call__(self, key: str, /, **args: object) -> str:
        return self.message(Message.of(self.table[key], **args))

    def message(self, message: Message) -> str:
        """Any message of the gateway catalog in this language."""
        return self.translator.render(message, domain=DOMAIN)

    def msgid(self, msgid: str, /, **args: object) -> str:
        return self.message(Message.of(msgid, **args))


@cache
def environment() -> jinja2.Environment:
    """The templates, autoescaped (every value from a person or a report shows as text)."""
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def render(request: Request, template: str, table: Mapping[str, str], *,
           status_code: int = 200, csrf: str | None = None, switch_to: str | None = None,
           **context: Any) -> HTMLResponse:
    """The page ``template`` in the request's language, with its words and a CSRF token.

    The language switch reloads this page; a page that answers a POST names with ``switch_to``
    the page (a GET) to show in the other language instead, since a link cannot repeat a POST.

    ``csrf`` is the staff session's token; without it the job seeker's double-submit cookie is
    used (made here when the browser has none yet).
    """
    lang = language(request)
    words = Words(lang, {**FRAME, **table})
    cookie_token = None
    if csrf is None:
        csrf = request.cookies.get(CSRF_COOKIE) or ""
        if not _well_formed(csrf):
            csrf = cookie_token = secrets.token_urlsafe(32)
    other = "en" if lang == "ja" else "ja"
    body = environment().get_template(template).render(
        request=request, lang=lang, t=words, csrf_field=CSRF_FIELD, csrf_token=csrf,
        switch_url=_switch_url(request, other, switch_to), lang_query=urlencode({"lang": lang}),
        when=lambda moment: when(moment, lang), day_label=lambda d: day_label(d, lang),
        **context)
    response = HTMLResponse(body, status_code=status_code)
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"  # tokens in URLs never leak onwards
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["Content-Security-Policy"] = (
        "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
        "frame-ancestors 'none'; base-uri 'none'")
    if cookie_token is not None:
        _set_cookie(response, CSRF_COOKIE, cookie_token, request)
    if request.query_params.get("lang") in LANGUAGES:
        response.set_cookie(LANG_COOKIE, lang, max_age=365 * 86400, samesite="lax",
                            httponly=True, secure=_secure(request))
    return response


def _switch_url(request: Request, other: str, switch_to: str | None) -> str:
    if request.method in ("GET", "HEAD") and switch_to is None:
        return url_with(request, lang=other)
    target = switch_to or "/"
    return f"{target}{'&' if '?' in target else '?'}{urlencode({'lang': other})}"


def url_with(request: Request, **params: str) -> str:
    """This page's path with some query parameters replaced (the language switch)."""
    query = dict(request.query_params)
    query.update(params)
    return f"{request.url.path}?{urlencode(query)}"


def _secure(request: Request) -> bool:
    return request.url.scheme == "https"


def _set_cookie(response: Response, name: str, value: str, request: Request) -> None:
    response.set_cookie(name, value, httponly=True, samesite="strict", secure=_secure(request),
                        path="/")


def _well_formed(token: str) -> bool:
    return 32 <= len(token) <= 128 and token.replace("-", "").replace("_", "").isalnum()


def jobseeker_csrf_ok(request: Request, sent: str) -> bool:
    """The double-submit check of a job seeker's form."""
    cookie = request.cookies.get(CSRF_COOKIE) or ""
    return (same_origin(request) and _well_formed(cookie)
            and hmac.compare_digest(cookie.encode(), sent.encode()))


#: Words of the error pages.
ERRORS = {
    "csrf_title": N_("This form has expired"),
    "csrf_body": N_("For your safety the form could not be sent. Please go back, reload the page "
                    "and send it again. Nothing was changed."),
    "not_found_title": N_("Page not found"),
    "not_found_body": N_("This address does not lead to a page. Please check the link in your "
                         "email, or start again from the list of offices."),
}


def message_page(request: Request, title: Message | str, body: Message | str, *,
                 status_code: int, details: list[Message] | None = None,
                 phone: str | None = None, link: tuple[str, str] | None = None,
                 csrf: str | None = None, switch_to: str | None = None) -> HTMLResponse:
    """A page that says one thing: what happened and what to do (never a traceback)."""
    lang = language(request)
    words = Words(lang, {**FRAME, **ERRORS})

    def text(value: Message | str) -> str:
        return words.message(value) if isinstance(value, Message) else words(value)

    return render(request, "message.html", ERRORS, status_code=status_code, csrf=csrf,
                  switch_to=switch_to or (link[1].split("?")[0] if link else None),
                  title=text(title), body=text(body),
                  details=[words.message(d) for d in details or []], phone=phone, link=link)


def csrf_failed(request: Request, *, csrf: str | None = None) -> HTMLResponse:
    """403: the form's token is missing, wrong or from another site. Nothing was changed."""
    return message_page(request, "csrf_title", "csrf_body", status_code=403, csrf=csrf)


def to_login(request: Request) -> RedirectResponse:
    """303 to the staff login page, in the page's language."""
    return RedirectResponse(f"/staff/login?lang={language(request)}", status_code=303)


async def login_needed(request: Request, exc: Exception) -> Response:
    """The app's answer to :class:`~precheck.gateway.deps.LoginNeeded`: the login page."""
    return to_login(request)


async def csrf_refused(request: Request, exc: Exception) -> Response:
    """The app's answer to :class:`~precheck.gateway.deps.CsrfRefused`: a 403 page."""
    return csrf_failed(request, csrf=exc.member.csrf if isinstance(exc, CsrfRefused) else None)


# -- what a handler needs from the application (deps.py: create_app's AppState) -----------------

@contextmanager
def session(request: Request) -> Iterator[Session]:
    """A database session for one step of a handler, closed when it is done."""
    with app_state(request).sessions() as db:
        yield db
