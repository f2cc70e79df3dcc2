"""Office profiles: each Hello Work office's booking rules as configuration, not code.

The offices named in the terms ship in ``gateway/data/offices.toml``, each value commented with
the line of the terms it comes from; what the terms leave blank is a stated default there. This
module only reads and checks that file. It is core, not gateway: the job seeker's app (the office
list, the next step), the CLI (``config``) and the gateway (:mod:`precheck.gateway.offices`) all
read the profiles, and the app's install has neither FastAPI nor SQLAlchemy nor ``holidays``.
"""

from __future__ import annotations

import re
import tomllib
import urllib.parse
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import cache
from pathlib import Path
from types import MappingProxyType
from typing import Any

from precheck.errors import PrecheckError
from precheck.japan import JAPAN

#: The profiles shipped with precheck (beside the gateway, which serves them).
DEFAULT_PATH = Path(__file__).parent / "gateway" / "data" / "offices.toml"

#: The fields a booking form may hold, in the order a form shows them.
FIELDS = ("name", "jobseeker_number", "start", "email", "phone", "note")

#: The three kinds of office in the terms.
KIND_PREVIOUS_DAY = 1  # Kagoshima and its sister offices: booked by the previous day
KIND_WEB_CONFIRM = 2  # Work Plaza Tenmonkan: web booking confirmed by an emailed link
KIND_BUSINESS_DAYS = 3  # Namerikawa: requested 2 business days ahead
KINDS = (KIND_PREVIOUS_DAY, KIND_WEB_CONFIRM, KIND_BUSINESS_DAYS)


class OfficeConfigError(PrecheckError):
    """The office profile file is unreadable or holds a wrong value (the message names it)."""


@dataclass(frozen=True, slots=True)
class Lead:
    """How far ahead a booking must be made.

    The booking for a day must be made by the end of the ``days``-th day before it, counting
    calendar days or, when ``business_days``, only the days the office is open. ``Lead(1, False)``
    is "by the previous day"; ``Lead(2, True)`` is "2 business days ahead".
    """

    days: int
    business_days: bool

    def describe(self) -> str:
        """A short English description for logs and the staff console."""
        if self.business_days:
            return f"{self.days} business day(s) ahead"
        return "by the previous day" if self.days == 1 else f"{self.days} day(s) ahead"


@dataclass(frozen=True, slots=True)
class BookingLimits:
    """How much of an office's calendar one person, or one address, may hold.

    Live bookings (confirmed, or pending and not lapsed, and not over) per 求職番号, per email
    address and per device key; and bookings made per client address per day (Asia/Tokyo).
    """

    live_per_jobseeker_number: int = 1
    live_per_email: int = 1
    live_per_device: int = 1
    per_address_per_day: int = 5


@dataclass(frozen=True, slots=True)
class OfficeProfile:
    """One office's booking rules (see data/offices.toml for the source of each value)."""

    id: str
    name_ja: str
    name_en: str
    kind: int  # 1, 2 or 3: the terms' three kinds of office
    phone: str | None
    email: str | None
    windows: tuple[tuple[time, time], ...]  # the daily opening windows, in order
    slot_minutes: int
    lead: Lead
    required_fields: tuple[str, ...]
    optional_fields: tuple[str, ...]
    confirmation_ttl: timedelta | None  # the emailed link's lifetime; None: no link to click
    no_show_after: timedelta
    no_show_limit: int
    jobseeker_number_pattern: str
    video_app: str
    year_end_break: tuple[tuple[int, int], tuple[int, int]]  # (month, day) first and last
    closed_dates: frozenset[date]
    horizon_days: int
    #: The office's postal address (for the calendar file); optional in the profile file.
    address: str | None = None
    #: The booking gateway that serves this office, for the job seeker's app (None: not set).
    gateway_url: str | None = None
    limits: BookingLimits = BookingLimits()

    @property
    def opens(self) -> time:
        """When the first window opens."""
        return self.windows[0][0]

    @property
    def closes(self) -> time:
        """When the last window closes."""
        return self.windows[-1][1]

    @property
    def slot(self) -> timedelta:
        """The length of one session."""
        return timedelta(minutes=self.slot_minutes)

    @property
    def fields(self) -> tuple[str, ...]:
        """Every field the office's form holds, required ones and optional ones, in form order."""
        wanted = set(self.required_fields) | set(self.optional_fields)
        return tuple(f for f in FIELDS if f in wanted)

    def name(self, language: str) -> str:
        """The office's name in ``language`` (ja or en)."""
        return self.name_en if language == "en" else self.name_ja

    def local(self, moment: datetime) -> datetime:
        """``moment`` in the office's time (Asia/Tokyo); a naive datetime is refused."""
        if moment.tzinfo is None or moment.utcoffset() is None:
            msg = f"{moment!r} has no time zone: pass an aware datetime"
            raise ValueError(msg)
        return moment.astimezone(JAPAN)


def load_offices(path: Path | None = None) -> dict[str, OfficeProfile]:
    """The office profiles in ``path`` (the shipped file by default), by id, in file order.

    Raises OfficeConfigError naming the file, the office and the key when a value is wrong.
    """
    if path is None:
        return dict(_shipped())
    return dict(_load(path))


@cache
def _shipped() -> Mapping[str, OfficeProfile]:
    return _load(DEFAULT_PATH)  # read once: the package's own file does not change


def _load(path: Path) -> Mapping[str, OfficeProfile]:
    try:
        with path.open("rb") as handle:
            data = tomllib.load(handle)
    except OSError as exc:
        msg = f"cannot read the office profiles {path}: {exc.strerror or exc}"
        raise OfficeConfigError(msg) from exc
    except tomllib.TOMLDecodeError as exc:
        msg = f"the office profiles {path} are not valid TOML: {exc}"
        raise OfficeConfigError(msg) from exc
    defaults = data.get("defaults", {})
    offices = data.get("office", [])
    if not isinstance(defaults, dict) or not isinstance(offices, list) or not offices:
        msg = f"{path}: expected a [defaults] table and at least one [[office]]"
        raise OfficeConfigError(msg)
    profiles: dict[str, OfficeProfile] = {}
    for number, raw in enumerate(offices, start=1):
        if not isinstance(raw, dict):
            msg = f"{path}: office number {number} is not a table"
            raise OfficeConfigError(msg)
        where = f"{path}: office {raw.get('id', number)!r}"
        profile = _profile(_Reader({**defaults, **raw}, where))
        if profile.id in profiles:
            msg = f"{where}: the id is used twice"
            raise OfficeConfigError(msg)
        profiles[profile.id] = profile
    return MappingProxyType(profiles)


class _Reader:
    """Typed access to one office's merged table; every error names the office and the key."""

    def __init__(self, table: dict[str, Any], where: str) -> None:
        self.table = table
        self.where = where
        self.known: set[str] = set()

    def fail(self, key: str, problem: str) -> OfficeConfigError:
        return OfficeConfigError(f"{self.where}, key {key!r}: {problem}")

    def get(self, key: str, kind: type | tuple[type, ...]) -> Any:
        self.known.add(key)
        if key not in self.table:
            raise self.fail(key, "missing")
        value = self.table[key]
        if isinstance(value, bool) and kind is not bool:
            raise self.fail(key, f"expected {_kind_name(kind)}, got {value!r}")
        if not isinstance(value, kind):
            raise self.fail(key, f"expected {_kind_name(kind)}, got {value!r}")
        return value

    def text(self, key: str) -> str:
        value: str = self.get(key, str)
        return value.strip()

    def positive(self, key: str, *, zero: bool = False) -> int:
        value: int = self.get(key, int)
        if value < 0 or (value == 0 and not zero):
            raise self.fail(key, f"must be {'0 or more' if zero else 'more than 0'}, got {value}")
        return value

    def optional_positive(self, key: str, default: int) -> int:
        """A whole number above 0, or ``default`` when the key is not set."""
        if key not in self.table:
            self.known.add(key)
            return default
        return self.positive(key)

    def check_unknown(self) -> None:
        unknown = sorted(set(self.table) - self.known)
        if unknown:
            raise self.fail(unknown[0], "not a known setting (a spelling mistake?)")


def _kind_name(kind: type | tuple[type, ...]) -> str:
    kinds = kind if isinstance(kind, tuple) else (kind,)
    return " or ".join(k.__name__ for k in kinds)


_ID = re.compile(r"[a-z0-9][a-z0-9-]{0,39}")
_CLOCK = re.compile(r"([01]\d|2[0-3]):([0-5]\d)")
_MONTH_DAY = re.compile(r"(\d\d)-(\d\d)")


def _profile(r: _Reader) -> OfficeProfile:
    office_id = r.text("id")
    if not _ID.fullmatch(office_id):
        raise r.fail("id", "use 1-40 lower-case letters, digits and hyphens (it goes in URLs)")
    kind = r.get("kind", int)
    if kind not in KINDS:
        raise r.fail("kind", f"must be one of {KINDS}, got {kind}")
    slot_minutes = r.positive("slot_minutes")
    windows = _windows(r, slot_minutes)
    required = _fields(r, "required_fields")
    optional = _fields(r, "optional_fields")
    for must in ("name", "start", "email"):
        if must not in required:
            raise r.fail("required_fields", f"must include {must!r}")
    if set(required) & set(optional):
        raise r.fail("optional_fields", "a field cannot be both required and optional")
    pattern = r.text("jobseeker_number_pattern")
    try:
        re.compile(pattern)
    except re.error as exc:
        raise r.fail("jobseeker_number_pattern", f"not a regular expression: {exc}") from exc
    ttl = r.positive("confirmation_ttl_minutes", zero=True)
    if kind == KIND_WEB_CONFIRM and ttl == 0:
        raise r.fail("confirmation_ttl_minutes", "an office of kind 2 confirms by a link: set it")
    profile = OfficeProfile(
        id=office_id,
        name_ja=r.text("name_ja"),
        name_en=r.text("name_en"),
        kind=kind,
        phone=r.text("phone") or None,
        email=r.text("email") or None,
        windows=windows,
        slot_minutes=slot_minutes,
        lead=_lead(r),
        required_fields=required,
        optional_fields=optional,
        confirmation_ttl=timedelta(minutes=ttl) if ttl else None,
        no_show_after=timedelta(minutes=r.positive("no_show_after_minutes")),
        no_show_limit=r.positive("no_show_limit"),
        jobseeker_number_pattern=pattern,
        video_app=r.text("video_app"),
        year_end_break=_year_end(r),
        closed_dates=_closed_dates(r),
        horizon_days=r.positive("horizon_days"),
        address=(r.text("address") if "address" in r.table else "") or None,
        gateway_url=_gateway_url(r),
        limits=_limits(r),
    )
    if not profile.name_ja or not profile.name_en:
        raise r.fail("name_ja", "both names (name_ja, name_en) must be given")
    r.check_unknown()
    return profile


def _gateway_url(r: _Reader) -> str | None:
    if "gateway_url" not in r.table:
        r.known.add("gateway_url")
        return None
    url = r.text("gateway_url")
    if not url:
        return None
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.query or parts.fragment:
        raise r.fail("gateway_url", f"expected the gateway's address (https://...), got {url!r}")
    return url.rstrip("/")


def _clock(r: _Reader, key: str, text: object) -> time:
    match = _CLOCK.fullmatch(text) if isinstance(text, str) else None
    if match is None:
        raise r.fail(key, f"expected a time such as \"10:00\", got {text!r}")
    return time(int(match[1]), int(match[2]), tzinfo=None)


def _windows(r: _Reader, slot_minutes: int) -> tuple[tuple[time, time], ...]:
    raw = r.get("windows", list)
    windows: list[tuple[time, time]] = []
    for pair in raw:
        if not isinstance(pair, list) or len(pair) != 2:
            raise r.fail("windows", f"each window is [\"HH:MM\", \"HH:MM\"], got {pair!r}")
        opens, closes = _clock(r, "windows", pair[0]), _clock(r, "windows", pair[1])
        length = _minutes(closes) - _minutes(opens)
        if length < slot_minutes:
            raise r.fail("windows", f"{pair[0]}-{pair[1]} is shorter than one session")
        if windows and _minutes(opens) < _minutes(windows[-1][1]):
            raise r.fail("windows", "windows must be in order and must not overlap")
        windows.append((opens, closes))
    if not windows:
        raise r.fail("windows", "give at least one opening window")
    return tuple(windows)


def _minutes(moment: time) -> int:
    return moment.hour * 60 + moment.minute


def _fields(r: _Reader, key: str) -> tuple[str, ...]:
    raw = r.get(key, list)
    unknown = [f for f in raw if f not in FIELDS]
    if unknown:
        raise r.fail(key, f"unknown field {unknown[0]!r}; known fields: {', '.join(FIELDS)}")
    if len(set(raw)) != len(raw):
        raise r.fail(key, "a field is named twice")
    return tuple(str(f) for f in raw)


def _lead(r: _Reader) -> Lead:
    raw = r.get("lead", dict)
    days, business = raw.get("days"), raw.get("business_days")
    if not isinstance(days, int) or isinstance(days, bool) or days < 0 or days > 30:
        raise r.fail("lead", f"days must be a whole number from 0 to 30, got {days!r}")
    if not isinstance(business, bool):
        raise r.fail("lead", f"business_days must be true or false, got {business!r}")
    if set(raw) - {"days", "business_days"}:
        raise r.fail("lead", "only days and business_days may be set")
    return Lead(days, business)


def _year_end(r: _Reader) -> tuple[tuple[int, int], tuple[int, int]]:
    raw = r.get("year_end_break", list)
    if len(raw) != 2:
        raise r.fail("year_end_break", "expected [\"MM-DD\", \"MM-DD\"] (first and last day)")
    parsed: list[tuple[int, int]] = []
    for text in raw:
        match = _MONTH_DAY.fullmatch(text) if isinstance(text, str) else None
        try:
            if match is None:
                raise ValueError(text)
            date(2000, int(match[1]), int(match[2]))  # a leap year: 02-29 is a real day
        except ValueError as exc:
            raise r.fail("year_end_break", f"{text!r} is not a MM-DD day") from exc
        parsed.append((int(match[1]), int(match[2])))
    return parsed[0], parsed[1]


def _closed_dates(r: _Reader) -> frozenset[date]:
    raw = r.get("closed_dates", list)
    days: set[date] = set()
    for item in raw:
        if isinstance(item, date) and not isinstance(item, datetime):
            days.add(item)
            continue
        try:
            days.add(date.fromisoformat(item))
        except (TypeError, ValueError) as exc:
            raise r.fail("closed_dates", f"{item!r} is not a date (YYYY-MM-DD)") from exc
    return frozenset(days)


def _limits(r: _Reader) -> BookingLimits:
    default = BookingLimits()
    return BookingLimits(
        live_per_jobseeker_number=r.optional_positive(
            "live_bookings_per_jobseeker_number", default.live_per_jobseeker_number),
        live_per_email=r.optional_positive("live_bookings_per_email", default.live_per_email),
        live_per_device=r.optional_positive("live_bookings_per_device",
                                            default.live_per_device),
        per_address_per_day=r.optional_positive("bookings_per_address_per_day",
                                                default.per_address_per_day))
