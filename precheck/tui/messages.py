"""Messages the app's workers post to its screens: what happened, in the past tense."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from textual.message import Message

if TYPE_CHECKING:
    from precheck.gateway_client import Booking, CheckIn, GatewayError
    from precheck.runner import Outcome
    from precheck.tui.offices import OfficeList


@dataclass
class CheckStarted(Message, bubble=False):  # for the running screen only
    """A check's thread started."""

    check_id: str


@dataclass
class CheckFinished(Message, bubble=False):
    """A check gave its result (or was cut off at its time budget)."""

    outcome: Outcome


@dataclass
class ChecksFinished(Message, bubble=False):
    """Every check of one batch finished."""

    batch: str


@dataclass
class ToneFinished(Message):
    """The speaker's test tone was played, or could not be."""

    present: bool
    played: bool
    problem: str | None = None


@dataclass
class OfficesLoaded(Message):
    """The office list arrived (from the gateway or the local profiles)."""

    offices: OfficeList


@dataclass
class Saved(Message):
    """A report or a bundle was written, or could not be."""

    what: str  # "report" or "bundle"
    path: str
    problem: str | None = None


@dataclass
class Booked(Message):
    """The gateway accepted a booking, or refused it."""

    booking: Booking | None
    problem: GatewayError | None = None


@dataclass
class CheckedIn(Message):
    """The gateway recorded the check-in, or refused it."""

    check_in: CheckIn | None
    problem: GatewayError | None = None
