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
WEEKDAYS = N_("Mon Tue Wed Thu Fri Sat Sun")
SLOT = N_("{weekday} {month}/{day} {time}")


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
    lines += [f"・{r.message.in_language(words.language) or r.rule}" for r in error.reasons]
    return "\n".join(line for line in lines if line)


def slot_time(start: datetime, words: Words) -> str:
    """A slot's start in Japan's time: ``11月25日(火) 10:00`` / ``Tue 11/25 10:00``."""
    from reports.render import JAPAN

    local = start.astimezone(JAPAN)
    weekday = words(WEEKDAYS).split()[local.weekday()]
    return words(SLOT, weekday=weekday, day=local.day, month=local.month,
                 time=local.strftime("%H:%M"))
