"""Power: the device will not run out of battery during the consultation."""

from __future__ import annotations

from precheck import probes
from precheck.api import Check, Context, Result
from precheck.result import N_

CONNECT_CHARGER = N_("Connect the charger and keep it connected during the consultation.")


class Battery(Check):
    """A laptop is on its charger or charged enough (the offices' flyer: 十分に充電).

    A 30-minute video call drains a laptop battery fast; a device that shuts down mid-session
    ends the consultation. Plugged in passes; on battery, the charge must reach the policy's
    ``min_percent_on_battery`` and, when the OS estimates the time left, that estimate must
    cover ``min_minutes_left_on_battery`` (the 30-minute session, logging in 5 minutes early,
    and a margin): a worn battery shows a high charge that does not last.
    A desktop (no battery) is skipped with that reason.
    Fix: connect the charger, or charge before the consultation.
    """

    id = "power.battery"
    article = "flyer"
    required = False
    title = N_("Battery and charger")
    timeout_s = 5.0

    def run(self, ctx: Context) -> Result:
        state = probes.battery(ctx.system)
        if state is None:
            return self.skip(N_("No battery found: this is a desktop computer, power is not an "
                                "issue"), evidence={"battery": False})
        evidence = {"percent": round(state.percent), "plugged": state.plugged}
        if state.plugged:
            return self.passed(N_("Charger connected (battery at {percent}%)"),
                               evidence=evidence, percent=round(state.percent))
        limits = ctx.policy.section("power.battery")
        minimum = limits["min_percent_on_battery"]
        if state.percent < minimum:
            return self.warn(
                N_("Battery at {percent}% and the charger is not connected (at least {minimum}% "
                   "needed)"),
                fix=[CONNECT_CHARGER,
                     N_("Or charge the computer fully before the consultation starts.")],
                evidence=evidence, percent=round(state.percent), minimum=minimum,
            )
        needed = limits["min_minutes_left_on_battery"]
        if state.seconds_left is not None and state.seconds_left < needed * 60:
            # A worn battery: the charge looks full, but the OS's estimate will not last the call.
            minutes = state.seconds_left // 60
            return self.warn(
                N_("Battery at {percent}%, but it lasts only about {minutes} minutes (at least "
                   "{needed} needed)"),
                fix=[CONNECT_CHARGER], evidence={**evidence, "minutes_left": minutes},
                percent=round(state.percent), minutes=minutes, needed=needed,
            )
        return self.passed(N_("Running on battery at {percent}%, enough for the consultation"),
                           evidence=evidence, percent=round(state.percent))
