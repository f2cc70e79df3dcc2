"""A client for the booking gateway's JSON API (``/api/v1``), with the standard library only.

The job seeker's install has no HTTP library beyond ``urllib``, and the gateway may be down, behind
a proxy that answers with a web page, or a different version. Every failure therefore becomes one
:class:`GatewayError` whose ``kind`` says what happened (``unreachable``, ``timeout``,
``bad_response``, ``rejected``, ``server_error``); when the gateway itself explained a refusal, its
Japanese and English texts and the reasons per rule are kept for the person to read. Nothing here
is translated: front-ends choose the words for each ``kind``. Answers are read with the
gateway's own models (:mod:`precheck.wire`); one of the wrong shape is a ``bad_response`` that
names the member.

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
from typing import Any, TypeVar

from pydantic import TypeAdapter, ValidationError

import precheck
from precheck.errors import PrecheckError
from precheck.wire import Booking, Challenge, CheckIn, ErrorBody, Office, Reason, Slot, Texts

__all__ = [
    "Booking", "BookingForm", "Challenge", "CheckIn", "GatewayClient", "GatewayError", "Office",
    "Reason", "Slot", "Texts",
]

ENV_URL = "PRECHECK_GATEWAY_URL"
API = "/api/v1"
#: The most a gateway answer may hold; a report is a few kilobytes, a slot list a few hundred.
MAX_ANSWER_BYTES = 4 * 1024 * 1024
DEFAULT_TIMEOUT_S = 10.0


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
        return _read_as(_OFFICES, self._call("GET", "/offices"), "offices")

    def slots(self, office_id: str, first: date, last: date) -> list[Slot]:
        """The office's slots from ``first`` to ``last`` (both included)."""
        query = urllib.parse.urlencode({"from": first.isoformat(), "to": last.isoformat()})
        answer = self._call("GET", f"/offices/{_segment(office_id)}/slots?{query}")
        return _read_as(_SLOTS, answer, "slots")

    def challenge(self, office_id: str) -> Challenge:
        """A fresh nonce for the report that goes with the next booking or check-in."""
        answer = self._call("POST", "/challenges", {"office_id": office_id})
        return _read_as(_CHALLENGE, answer, "challenge")

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
        return _read_as(_BOOKING, self._call("POST", "/bookings", body), "booking")

    def check_in(self, reference: str, report: Mapping[str, Any]) -> CheckIn:
        """Check in on the day of the consultation with a fresh signed report."""
        answer = self._call("POST", f"/bookings/{_segment(reference)}/check-in",
                            {"report": dict(report)})
        return _read_as(_CHECK_IN, answer, "check-in")

    def policy(self) -> Any:
        """The policy version(s) the gateway accepts, as it says them (unread: a diagnosis)."""
        return _json(*self._call("GET", "/policy"))

    # -- one request --------------------------------------------------------------------------

    def _call(self, method: str, path: str, body: Mapping[str, Any] | None = None
              ) -> tuple[bytes, str]:
        """The raw answer of a 2xx status and the address asked; every failure a GatewayError."""
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
        return raw, url


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
        body = ErrorBody.model_validate_json(raw)
    except ValidationError:  # a proxy's page, or no body: the status says enough
        return GatewayError(kind, f"{url} answered HTTP {status}", status=status)
    detail = f"{url} answered HTTP {status} ({body.error}): {body.message.en or body.message.ja}"
    return GatewayError(kind, detail, status=status, code=body.error, message=body.message,
                        reasons=body.reasons)


# -- reading answers: a wrong shape is a bad_response that names the member ------------------

T = TypeVar("T")
_OFFICES = TypeAdapter(list[Office])
_SLOTS = TypeAdapter(list[Slot])
_CHALLENGE = TypeAdapter(Challenge)
_BOOKING = TypeAdapter(Booking)
_CHECK_IN = TypeAdapter(CheckIn)


def _read_as(model: TypeAdapter[T], answer: tuple[bytes, str], what: str) -> T:
    """The answer read as ``model``; GatewayError ``bad_response`` naming what is wrong."""
    raw, url = answer
    _json(raw, url)  # not JSON at all (a proxy's page): say so, quoting its start
    try:
        return model.validate_json(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"] if not isinstance(part, int))
        problem = "has no time zone" if first["type"] == "timezone_aware" else first["msg"]
        member = f" {where!r}" if where else ""
        raise GatewayError("bad_response", f"the gateway's {what} answer is not valid:{member} "
                           f"{problem}") from None


def _segment(value: str) -> str:
    return urllib.parse.quote(value, safe="")
