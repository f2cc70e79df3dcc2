"""Surroundings: a room quiet enough for a consultation (the offices' flyer: 静かな場所)."""

from __future__ import annotations

from precheck.api import Check, Context, Need, Result
from precheck.probes import devices
from precheck.result import N_


class Noise(Check):
    """The room is quiet enough: the background noise level from a short recording (flyer).

    Uses the microphone check's recording (the same probe: recorded once) and takes its noise
    floor, the quietest fifth of its 100 ms windows, so speaking during the test does not count
    as noise. Advisory: it warns with the figure. Fix: move to a quiet room, close the window,
    switch off the television, radio, fan or other noisy things.
    """

    id = "environment.noise"
    needs = frozenset({Need.MICROPHONE})
    article = "flyer"
    required = False
    title = N_("Quiet room")
    timeout_s = 20.0

    def run(self, ctx: Context) -> Result:
        mic = devices.microphone(ctx.system)
        limits = ctx.policy.section("environment.noise")
        silent = ctx.policy.section("device.microphone")["silent_max_dbfs"]
        if not mic.present or mic.levels is None:
            return self.error(N_("Could not measure the room's noise: no microphone found"),
                              fix=[N_("Connect a microphone, then check again.")])
        if mic.levels.rms_dbfs <= silent:
            return self.error(
                N_("Could not measure the room's noise: the microphone records only silence"),
                fix=[N_("Fix the microphone first (see the microphone check), then check "
                        "again.")])
        noise = round(mic.levels.noise_floor_dbfs, 1)
        evidence = {"noise_floor_dbfs": noise, "maximum_dbfs": limits["max_noise_dbfs"]}
        if noise > limits["max_noise_dbfs"]:
            return self.warn(
                N_("The room is noisy: background noise at {noise} dBFS (at most {maximum} dBFS "
                   "recommended)"),
                evidence=evidence, noise=noise, maximum=limits["max_noise_dbfs"], fix=[
                    N_("Move to a quiet, private room and close the door and windows."),
                    N_("Switch off the television, radio, fans and other noisy things, and ask "
                       "people nearby to keep quiet during the consultation.")])
        return self.passed(N_("The room is quiet: background noise at {noise} dBFS"),
                           evidence=evidence, noise=noise)
