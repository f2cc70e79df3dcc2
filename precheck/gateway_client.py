"""A client for the booking gateway's JSON API (``/api/v1``), with the standard library only.

The job seeker's install has no HTTP library beyond ``urllib``, and the gateway may be down, behind
a proxy that answers with a web page, or a different version. Every failure therefore becomes one
:class:`GatewayError` whose ``kind`` says what happened (``unreachable``, ``timeout``,
``bad_response``, ``rejected``, ``server_error``); when the gateway itself explained a refusal, its
Japanese and English texts and the reasons per rule are kept for the person to read. Nothing here
is translated: front-ends choose the words for each ``kind``.

The gateway's address comes from ``PRECHECK_GATEWAY_URL`` (see :meth:`GatewayClient.from_env`).
"""

from __future__ import annotations

import http.client
import json
import socket
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import precheck
from precheck.errors import PrecheckError

ENV_URL = "PRECHECK_GATEWAY_URL"
API = "/api/v1"
#: The most a gateway answer may hold; a report is a few kilobytes, a slot list a few hundred.
MAX_ANSWER_BYTES = 4 * 1024 * 1024
DEFAULT_TIMEOUT_S = 10.0


@dataclass(frozen=True, slots=True)
class Texts:
    """A text the gateway wrote in Japanese and English."""

    ja: str
    en: str

    def in_language(self, language: str) -> str:
        """The text in ``language`` (``ja`` or ``en``), else the other one."""
        first, second = (self.ja, self.en) if language == "ja" else (self.en, self.ja)
        return first or second


@dataclass(frozen=True, slots=True)
class Reason:
    """One rule the gateway says a request broke (a booking rule or a report check)."""

    rule: str
    message: Texts


class GatewayError(PrecheckError):
    """The gateway could not be asked, or it refused; ``kind`` says which.

    ``unreachable``: no connection (wrong address, gateway down, no network);
    ``timeout``: no answer in time; ``bad_response``: an answer that is not the gateway's JSON
    (a proxy's page, another program on that port, a cut-off body); ``rejected``: the gateway
    refused the request (``status`` 4xx, ``code`` and ``message`` from its error body);
    ``server_error``: the gateway failed (5xx).
    """

    def __init__(self, kind: str, detail: str, *, status: int | None = None,
                 code: str | None = None, message: Texts | None = None,
                 reasons: tuple[Reason, ...] = ()) -> None:
        super().__init__(detail)
        self.kind = kind
        self.detail = detail
        self.status = status
        self.code = code
        self.message = message
        self.reasons = reasons


@dataclass(frozen=True, slots=True)
class Office:
    """An office as the gateway lists it."""

    id: str
    name_ja: str
    name_en: str
    kind: int
    phone: str | None
    required_fields: tuple[str, ...]
    optional_fields: tuple[str, ...]
    video_app: str | None = None  # "TeleOffice" or "Zoom" (the office profile's video_app)

    def name(self, language: str) -> str:
        return Texts(self.name_ja, self.name_en).in_language(language)


@dataclass(frozen=True, slots=True)
class Slot:
    """A 30-minute consultation slot and whether it can still be booked."""

    start: datetime
    free: bool


@dataclass(frozen=True, slots=True)
class Challenge:
    """A single-use nonce the next report must carry (``precheck run --challenge``)."""

    nonce: str
    expires_at: datetime


@dataclass(frozen=True, slots=True)
class BookingForm:
    """What a job seeker fills in to book (the fields an office asks for)."""

    office_id: str
    start: datetime
    name: str
    email: str
    phone: str | None = None
    jobseeker_number: str | None = None
    note: str | None = None
    language: str = "ja"  # of the emails the gateway sends


@dataclass(frozen=True, slots=True)
class Booking:
    """A booking the gateway accepted; ``status`` is ``pending_confirmation`` or ``confirmed``."""

    reference: str
    status: str
    start: datetime
    confirm_by: datetime | None = None  # pending: the emailed link must be opened before this


@dataclass(frozen=True, slots=True)
class CheckIn:
    """The gateway's record that the job seeker checked in on the day."""

    reference: str
    checked_in_at: datetime


class GatewayClient:
    """Calls one gateway. Each method is one request; each failure a :class:`GatewayError`."""

    def __init__(self, base_url: str, *, timeout: float = DEFAULT_TIMEOUT_S) -> None:
        parsed = urllib.parse.urlsplit(base_url.strip())
        if parsed.scheme not in ("http", "https") or not parsed.netloc:
            msg = (f"the gateway address {base_url!r} is not a web address "
                   "(it must start with http:// or https://)")
            raise PrecheckError(msg)
        self.base_url = urllib.parse.urlunsplit(
            (parsed.scheme, parsed.netloc, parsed.path.rstrip("/"), "", ""))
        self.timeout = timeout

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> GatewayClient | None:
        """The client for ``PRECHECK_GATEWAY_URL``, or None when it is not set."""
        url = environ.get(ENV_URL, "").strip()
        return cls(url) if url else None

    # -- the API ------------------------------------------------------------------------------

    def offices(self) -> list[Office]:
        """The offices that take online bookings."""
        answer = self._call("GET", "/offices")
        return [_office(item) for item in _list(answer, "offices")]

    def slots(self, office_id: str, first: date, last: date) -> list[Slot]:
        """The office's slots from ``first`` to ``last`` (both included)."""
        query = urllib.parse.urlencode({"from": first.isoformat(), "to": last.isoformat()})
        answer = self._call("GET", f"/offices/{_segment(office_id)}/slots?{query}")
        return [Slot(_time(_get(item, "start", str)), _get(item, "free", bool))
                for item in _list(answer, "slots")]

    def challenge(self, office_id: str) -> Challenge:
        """A fresh nonce for the report that goes with the next booking or check-in."""
        answer = _object(self._call("POST", "/challenges", {"office_id": office_id}), "challenge")
        return Challenge(_get(answer, "nonce", str), _time(_get(answer, "expires_at", str)))

    def book(self, form: BookingForm, report: Mapping[str, Any]) -> Booking:
        """Book a slot with a signed report that carries a challenge from :meth:`challenge`."""
        body: dict[str, Any] = {
            "office_id": form.office_id, "start": form.start.isoformat(),
            "name": form.name, "email": form.email, "language": form.language,
            "report": dict(report),
        }
        for key in ("phone", "jobseeker_number", "note"):
            value = getattr(form, key)
            if value:
                body[key] = value
        answer = _object(self._call("POST", "/bookings", body), "booking")
        confirm_by = answer.get("confirm_by")
        return Booking(_get(answer, "reference", str), _get(answer, "status", str),
                       _time(_get(answer, "start", str)),
                       _time(confirm_by) if isinstance(confirm_by, str) else None)

    def check_in(self, reference: str, report: Mapping[str, Any]) -> CheckIn:
        """Check in on the day of the consultation with a fresh signed report."""
        answer = _object(self._call("POST", f"/bookings/{_segment(reference)}/check-in",
                                    {"report": dict(report)}), "check-in")
        return CheckIn(_get(answer, "reference", str), _time(_get(answer, "checked_in_at", str)))

    def policy(self) -> Any:
        """The policy version(s) the gateway accepts, as it says them."""
        return self._call("GET", "/policy")

    # -- one request --------------------------------------------------------------------------

    def _call(self, method: str, path: str, body: Mapping[str, Any] | None = None) -> Any:
        url = f"{self.base_url}{API}{path}"
        data = None if body is None else json.dumps(body, ensure_ascii=False).encode("utf-8")
        # The scheme is http or https (checked in __init__), never file: or a custom one.
        request = urllib.request.Request(url, data=data, method=method, headers={  # noqa: S310
            "Accept": "application/json",
            "User-Agent": f"precheck/{precheck.__version__}",
            **({"Content-Type": "application/json"} if data is not None else {}),
        })
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310
                status, raw = response.status, _read(response)
        except urllib.error.HTTPError as exc:
            with exc:
                raw = _read(exc)
            raise _refusal(exc.code, raw, url) from None
        except TimeoutError as exc:  # socket.timeout is TimeoutError since Python 3.10
            raise GatewayError("timeout", f"{url}: no answer within {self.timeout:g} s") from exc
        except urllib.error.URLError as exc:
            if isinstance(exc.reason, TimeoutError | socket.timeout):
                raise GatewayError("timeout", f"{url}: no answer within {self.timeout:g} s"
                                   ) from exc
            raise GatewayError("unreachable", f"{url}: {exc.reason}") from exc
        except (OSError, ValueError, http.client.HTTPException) as exc:  # resets, bad status lines
            raise GatewayError("unreachable", f"{url}: {type(exc).__name__}: {exc}") from exc
        if not 200 <= status < 300:
            raise _refusal(status, raw, url)
        return _json(raw, url)


def _read(response: Any) -> bytes:
    try:
        raw: bytes = response.read(MAX_ANSWER_BYTES + 1)
    except (OSError, http.client.HTTPException) as exc:  # e.g. IncompleteRead: cut off mid-body
        raise GatewayError("bad_response", f"the answer was cut off: {exc!r}") from exc
    if len(raw) > MAX_ANSWER_BYTES:
        raise GatewayError("bad_response", f"the answer is larger than {MAX_ANSWER_BYTES} bytes")
    return raw


def _json(raw: bytes, url: str) -> Any:
    try:
        return json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        start = raw[:60].decode("utf-8", errors="replace").strip()
        raise GatewayError("bad_response", f"{url} did not answer with JSON ({exc}); it began "
                           f"with {start!r}") from exc


def _refusal(status: int, raw: bytes, url: str) -> GatewayError:
    """The error for an HTTP error status, with the gateway's own explanation when it gave one."""
    kind = "server_error" if status >= 500 else "rejected"
    try:
        body = json.loads(raw.decode("utf-8")) if raw else None
    except (UnicodeDecodeError, json.JSONDecodeError):
        body = None
    if not isinstance(body, dict):
        return GatewayError(kind, f"{url} answered HTTP {status}", status=status)
    code = body.get("error")
    message = _texts(body.get("message"))
    reasons = tuple(
        Reason(str(r.get("rule", "")), _texts(r.get("message")) or Texts("", ""))
        for r in body.get("reasons") or () if isinstance(r, dict)
    )
    detail = f"{url} answered HTTP {status}"
    if isinstance(code, str):
        detail += f" ({code})"
    if message is not None:
        detail += f": {message.en or message.ja}"
    return GatewayError(kind, detail, status=status, code=code if isinstance(code, str) else None,
                        message=message, reasons=reasons)


def _texts(value: object) -> Texts | None:
    if isinstance(value, dict):
        ja, en = value.get("ja"), value.get("en")
        if isinstance(ja, str) or isinstance(en, str):
            return Texts(ja if isinstance(ja, str) else "", en if isinstance(en, str) else "")
    if isinstance(value, str) and value:
        return Texts(value, value)
    return None


# -- reading answers: a wrong shape is a bad_response that names the member ------------------

def _list(value: Any, what: str) -> list[dict[str, Any]]:
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        raise GatewayError("bad_response", f"the gateway's {what} are not a list of objects")
    return value


def _object(value: Any, what: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise GatewayError("bad_response", f"the gateway's {what} answer is not an object")
    return value


def _get(item: Mapping[str, Any], key: str, kind: type[Any]) -> Any:
    value = item.get(key)
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise GatewayError("bad_response", f"the gateway's answer has no valid {key!r}")
    return value


def _time(text: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError as exc:
        raise GatewayError("bad_response", f"{text!r} is not a date and time") from exc
    if moment.tzinfo is None:
        raise GatewayError("bad_response", f"{text!r} has no time zone")
    return moment


def _office(item: Mapping[str, Any]) -> Office:
    phone = item.get("phone")
    app = item.get("video_app")

    def fields(key: str) -> tuple[str, ...]:
        value = item.get(key) or []
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise GatewayError("bad_response", f"the gateway's office has no valid {key!r}")
        return tuple(value)

    return Office(
        id=_get(item, "id", str), name_ja=_get(item, "name_ja", str),
        name_en=_get(item, "name_en", str), kind=_get(item, "kind", int),
        phone=phone if isinstance(phone, str) and phone else None,
        required_fields=fields("required_fields"), optional_fields=fields("optional_fields"),
        video_app=app if isinstance(app, str) and app else None,
    )


def _segment(value: str) -> str:
    return urllib.parse.quote(value, safe="")
