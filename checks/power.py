"""Power: the device will not run out of battery during the consultation."""

from __future__ import annotations

from precheck.api import Check, Context, Result
from precheck.result import N_


class Battery(Check):
    """A laptop is on its charger or charged enough (the offices' flyer: 十分に充電).

    A 30-minute video call drains a laptop battery fast; a device that shuts down mid-session
    ends the consultation. Plugged in passes; on battery, the charge must reach the policy's
    ``min_percent_on_battery``. A desktop (no battery) is skipped with that reason.
    Fix: connect the charger, or charge before the consultation.
    """

    id = "power.battery"
    article = "flyer"
    required = False
    title = N_("Battery and charger")
    timeout_s = 5.0

    def run(self, ctx: Context) -> Result:
        state = ctx.system.battery()
        if state is None:
            return self.skip(N_("No battery found: this is a desktop computer, power is not an "
                                "issue"), evidence={"battery": False})
        evidence = {"percent": round(state.percent), "plugged": state.plugged}
        if state.plugged:
            return self.passed(N_("Charger connected (battery at {percent}%)"),
                               evidence=evidence, percent=round(state.percent))
        minimum = ctx.policy.section("power.battery")["min_percent_on_battery"]
        if state.percent >= minimum:
            return self.passed(N_("Running on battery at {percent}%, enough for the "
                                  "consultation"), evidence=evidence, percent=round(state.percent))
        return self.warn(
            N_("Battery at {percent}% and the charger is not connected (at least {minimum}% "
               "needed)"),
            fix=[N_("Connect the charger and keep it connected during the consultation."),
                 N_("Or charge the computer fully before the consultation starts.")],
            evidence=evidence, percent=round(state.percent), minimum=minimum,
        )
