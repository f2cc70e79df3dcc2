"""What the job seeker reads when the booking service fails, and dates as they read them."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from precheck.result import N_

if TYPE_CHECKING:
    from precheck.gateway_client import GatewayError
    from precheck.tui.text import Words

KINDS = {
    "unreachable": N_("The booking service could not be reached. Check the internet connection "
                      "and try again in a little while."),
    "timeout": N_("The booking service did not answer in time. Try again in a little while."),
    "bad_response": N_("The booking service gave an answer this app cannot read. Please call the "
                       "office."),
    "rejected": N_("The booking service did not accept this:"),
    "server_error": N_("The booking service has a problem. Try again later, or call the "
                       "office."),
}
NO_REPORT = N_("The report could not be made: {reason}")

#: The gateway's report rules (precheck/gateway/gate.py codes) in the app's own words: its
#: messages name check ids and command lines for people using the command line; in the app the
#: way out is a key or a button. Rules not listed here are said in the gateway's words.
_UNREADABLE = N_("The booking service could not read this result. Check again (R), then book.")
RULE_WORDS = {
    "report_missing": _UNREADABLE,
    "report_format": _UNREADABLE,
    "unsigned": _UNREADABLE,
    "signature": _UNREADABLE,
    "not_live": N_("A result from a diagnostic file cannot be used for booking. Check this "
                   "computer itself, then book."),
    "policy_unknown": N_("This version of precheck is too old for the booking service. Update "
                         "precheck, then check again."),
    "policy_digest": N_("This version of precheck is too old for the booking service. Update "
                        "precheck, then check again."),
    "stale": N_("The result is too old. Check again (R), then book."),
    "future": N_("The computer's clock is wrong. Set the date and time automatically, then "
                 "check again (R)."),
    "challenge_missing": N_("The booking could not be linked to this result. Press Book again."),
    "challenge_unknown": N_("The booking could not be linked to this result. Press Book again."),
    "challenge_expired": N_("Too much time passed since Book was pressed. Press Book again."),
    "challenge_used": N_("This result was already used for a booking. Press Book again."),
    "challenge_other_office": N_("This result was made for another office. Press Book again "
                                 "and choose the office."),
    "check_missing": N_("Some required items were not checked. Check everything again (R)."),
    "check_failed": N_("A required item did not pass. Fix it as shown, then check again (R)."),
}


def report_failed(error: Exception) -> GatewayError:
    """A failure to make the report before sending it, told like the gateway's failures."""
    from precheck.gateway_client import GatewayError

    return GatewayError("report", str(error))


def describe(error: GatewayError, words: Words) -> str:
    """The failure in plain words, with the service's own explanation and reasons if it gave any."""
    if error.kind == "report":  # raised here, not by the gateway: the report could not be signed
        return words(NO_REPORT, reason=error.detail)
    lines = [words(KINDS.get(error.kind, KINDS["bad_response"]))]
    if error.message is not None:
        lines.append(error.message.in_language(words.language))
    said: list[str] = []
    for reason in error.reasons:
        own = RULE_WORDS.get(reason.rule)
        line = words(own) if own else reason.message.in_language(words.language)
        if line and line not in said:  # several failed checks: one line says it
            said.append(line)
    lines += [f"・{line}" for line in said]
    return "\n".join(line for line in lines if line)


def slot_time(start: datetime, words: Words) -> str:
    """A slot's start in Japan's time, as the booking pages and mails say it
    (``2026年11月25日（火） 10:00`` / ``Tue 25 Nov 2026, 10:00``)."""
    from precheck.when import when

    return when(start, words.language)
