"""What the job seeker does next, driven by the chosen office: the results screen's panel.

With a booking gateway, booking happens in the app (予約する). Without one, the app says how
the chosen office takes bookings, from its profile (:mod:`precheck.offices`): its name, phone
number and e-mail, the booking rule of its kind (by the previous day; on the web with a
confirmation mail; 2 business days ahead), and the video app to install. It also says how long
the report stays fresh enough for the gateway to accept it.
Plain Python (no Textual), so the panel's words are tested on their own.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from precheck.offices import OfficeConfigError, load_offices
from precheck.result import N_

if TYPE_CHECKING:
    from collections.abc import Mapping

    from precheck.tui.offices import OfficeChoice
    from precheck.tui.text import Words

log = logging.getLogger(__name__)

#: How long a report is accepted for booking: the gateway's ``report_max_age`` by default
#: (precheck/gateway/settings.py), the terms' "fresh report" rule as the gateway applies it.
REPORT_VALID_FOR = timedelta(minutes=30)

TITLE = N_("Next step")
OFFICE = N_("Office: {office}")
NO_OFFICE = N_("No office is chosen. Choose the office you will consult on the first screen "
               "(Esc, then the list of offices) to see how it takes bookings.")
PHONE = N_("Phone: {phone}")
MAIL = N_("E-mail: {mail}")
NO_PHONE = N_("The office's phone number is in its own guide or on its web page.")
RULES = {
    1: N_("Booking: apply by the day before the consultation, giving your name, your job seeker "
          "number, the day and time you want, your e-mail address and your phone number. The "
          "office sends the time and the address of the call by e-mail."),
    2: N_("Booking: choose a time on the office's booking web page and fill in the form. A "
          "confirmation e-mail follows: click its link within 1 hour, or the booking is "
          "cancelled."),
    3: N_("Booking: apply at least 2 business days before the day you want (weekdays "
          "10:00-16:00, 30 minutes), giving your name, your job seeker number, the day and time "
          "and your e-mail address."),
}
VIDEO_APP = N_("Before the day, install the video app {app} on this computer and try it once.")
VIDEO_REACHED = N_("The internet connection check reached {app}'s service from this computer.")
VIDEO_UNREACHED = N_("{app}'s service did not answer from this computer: the Internet connection "
                     "item says what to try.")
VIDEO_UNCHECKED = N_("Whether {app} connects from this computer cannot be checked beforehand: "
                     "on the day, open the address the office sends 5 minutes before the start, "
                     "or ask the office to try a call before.")
PASS_NO_GATEWAY = N_("This computer is ready. Book with the office as described here.")
PASS_GATEWAY = N_("This computer is ready. Press Book to choose a time.")
FAIL_GATEWAY = N_("When every required item passes, Book becomes available here.")
VALID_UNTIL = N_("This result can be used for booking until {time} ({minutes} more minutes). "
                 "After that, the required items are checked again first.")
EXPIRED = N_("This result is more than {minutes} minutes old: booking checks the required items "
             "again first.")


@dataclass(frozen=True, slots=True)
class Profile:
    """The parts of an office profile the panel shows."""

    kind: int
    phone: str | None
    email: str | None
    video_app: str | None


def profile(office_id: str) -> Profile | None:
    """The shipped profile of ``office_id``, or None (not shipped, or the file is unreadable)."""
    try:
        found = load_offices().get(office_id)
    except OfficeConfigError:  # a broken profile file must not break the results screen
        log.warning("could not read the office profiles", exc_info=True)
        return None
    if found is None:
        return None
    return Profile(found.kind, found.phone or None, found.email or None, found.video_app or None)


def video_reach(document: Mapping[str, Any] | None, app: str) -> bool | None:
    """Whether ``network.connectivity`` reached the video app's service in this report: True or
    False when the check tried it (its evidence lists ``video_app:<name>:<outcome>``), None when
    it did not (the policy names no server of that app, or the check did not run)."""
    checks = [] if document is None else document.get("checks") or []
    for check in checks:
        if not isinstance(check, dict) or check.get("id") != "network.connectivity":
            continue
        targets = (check.get("evidence") or {}).get("targets") or []
        for target in targets:
            role, _, rest = str(target).partition(":")
            name, _, outcome = rest.rpartition(":")
            if role == "video_app" and name.casefold() == app.casefold():
                return outcome == "ok"
    return None


_REACH = {True: VIDEO_REACHED, False: VIDEO_UNREACHED, None: VIDEO_UNCHECKED}


def report_time(document: Mapping[str, Any] | None) -> datetime | None:
    """When the report's oldest run began (the time the gateway judges), or None."""
    created = None if document is None else document.get("created")
    try:
        moment = datetime.fromisoformat(str(created).replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else None


def is_stale(document: Mapping[str, Any] | None, now: datetime) -> bool:
    """True when the gateway would refuse the report as too old (or its time is unknown)."""
    made = report_time(document)
    return made is None or now - made > REPORT_VALID_FOR


def lines(words: Words, office: OfficeChoice | None, *, verdict: str, gateway: bool,
          document: Mapping[str, Any] | None, now: datetime) -> list[str]:
    """The panel's paragraphs, in the job seeker's language."""
    from precheck.reports.render import JAPAN

    found: list[str] = []
    if gateway:
        found.append(words(PASS_GATEWAY if verdict == "pass" else FAIL_GATEWAY))
    elif verdict == "pass":
        found.append(words(PASS_NO_GATEWAY))
    if office is None:
        if not gateway:
            found.append(words(NO_OFFICE))
    else:
        found.append(words(OFFICE, office=office.name(words.language)))
        details = profile(office.id)
        phone = office.phone or (details.phone if details else None)
        if not gateway and verdict == "pass":  # how to book matters once booking is possible
            found.append(words(PHONE, phone=phone) if phone else words(NO_PHONE))
            if details is not None and details.email:
                found.append(words(MAIL, mail=details.email))
            rule = RULES.get(details.kind if details else office.kind)
            if rule is not None:
                found.append(words(rule))
        if details is not None and details.video_app:
            found.append(words(VIDEO_APP, app=details.video_app))
            found.append(words(_REACH[video_reach(document, details.video_app)],
                               app=details.video_app))
    made = report_time(document)
    if verdict == "pass" and made is not None:
        until = made + REPORT_VALID_FOR
        left = int((until - now).total_seconds() // 60)
        if left >= 0:
            found.append(words(VALID_UNTIL, time=until.astimezone(JAPAN).strftime("%H:%M"),
                               minutes=left))
        else:
            found.append(words(EXPIRED, minutes=int(REPORT_VALID_FOR.total_seconds() // 60)))
    return found
