"""The service's errors: each names what happened and what to do (a ``gateway`` message)."""

from __future__ import annotations

from collections.abc import Sequence

from precheck.errors import PrecheckError
from precheck.gateway.models import Status
from precheck.gateway.rules import RuleViolation
from precheck.result import N_, Message


class GatewayError(PrecheckError):
    """A booking operation that could not be done; ``message`` tells the job seeker why."""

    code = "error"

    def __init__(self, message: Message) -> None:
        super().__init__(message.msgid)
        self.message = message


class NotFound(GatewayError):
    code = "not_found"


class SlotTaken(GatewayError):
    code = "taken"

    def __init__(self) -> None:
        super().__init__(Message.of(N_(
            "Sorry, someone else has just booked this time. Please choose another time.")))


class RuleBroken(GatewayError):
    code = "rule_broken"

    def __init__(self, violations: Sequence[RuleViolation]) -> None:
        super().__init__(Message.of(N_("The booking does not meet the office's rules. "
                                       "Please correct what is listed.")))
        self.violations = tuple(violations)


class LinkExpired(GatewayError):
    code = "link_expired"


class StaleState(GatewayError):
    code = "stale_state"

    def __init__(self, current: str) -> None:
        super().__init__(Message.of(N_(
            "This booking has already been changed (it is now: {status}). Reload the page to "
            "see it."), status=Message.of(STATUS_LABELS.get(current, current))))
        self.current = current


class RateLimited(GatewayError):
    code = "rate_limited"

    def __init__(self, retry_after: int) -> None:
        super().__init__(Message.of(N_(
            "Too many requests. Please wait {seconds} seconds and try again."),
            seconds=retry_after))
        self.retry_after = retry_after


class CommitUncertain(GatewayError):
    """The database went away while the change was being committed: it may or may not have
    been made. A retry of the same request finds out (a booking retry is idempotent)."""

    code = "unavailable_uncertain"

    def __init__(self) -> None:
        super().__init__(Message.of(N_(
            "The connection to the booking database was lost while your request was being "
            "saved, so it is not known whether it was done. Please send the same request again "
            "in a minute: if it was done, you will see the result then.")))


#: How a status is named to people.
STATUS_LABELS = {
    Status.PENDING: N_("waiting for your confirmation"),
    Status.CONFIRMED: N_("confirmed"),
    Status.ATTENDED: N_("attended"),
    Status.NO_SHOW: N_("missed without notice"),
    Status.CANCELLED_BY_USER: N_("cancelled by you"),
    Status.CANCELLED_BY_OFFICE: N_("cancelled by the office"),
    Status.EXPIRED: N_("lapsed (not confirmed in time)"),
    "checked_in": N_("checked in"),
}
