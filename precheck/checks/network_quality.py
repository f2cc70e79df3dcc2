"""Network quality: good enough for a video call (12(4))."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from precheck.api import Check, Context, Message, Need, Result
from precheck.checks.network import ANOTHER_NETWORK, CHECK_CABLE, CONTACT_OFFICE
from precheck.probes import network
from precheck.probes.network.facts import Quality as QualityFacts
from precheck.result import N_

QUALITY_ERRORS = {
    "no_internet": N_("The speed test could not reach speedtest.net: this computer seems to "
                      "have no internet connection ({detail})"),
    "unreachable": N_("The speed-test server could not be reached during {step} ({detail})"),
    "garbage": N_("The speed-test server answered something that is not a speed test during "
                  "{step} ({detail})"),
    "http_status": N_("The speed-test server refused the test during {step} ({detail})"),
    "dropped": N_("The connection dropped during the speed test ({step}: {detail})"),
    "budget": N_("The speed test did not finish in time ({step}: {detail})"),
}
STEP_NAMES = {
    "discover": N_("finding the server"), "latency": N_("the latency test"),
    "download": N_("the download test"), "upload": N_("the upload test"),
    "udp": N_("the UDP test"), "observed": N_("the server's report"),
}


class Quality(Check):
    """The connection is good enough for a 1:1 video call (Article 12(4): the network checked
    beforehand).

    Measures download and upload throughput, round-trip time and, against the booking gateway's
    UDP echo, jitter (RFC 3550) and packet loss, in at most 10 seconds; with a gateway set
    (``--gateway`` or ``PRECHECK_GATEWAY_URL``) against the gateway (the path to the office),
    otherwise against the nearest public speedtest.net server. The policy's thresholds come from
    the published requirements of Zoom, Teams, Twilio and Daily. A test that cannot finish (no
    internet, a server that answers nonsense, a connection that drops, the time limit) is an
    error that says why, never a pass. Fix: move closer to the router or use a cable, stop
    downloads and other video on the same network, or use another network.
    """

    id = "network.quality"
    needs = frozenset({Need.NETWORK})
    article = "12(4)"
    required = True
    title = N_("Connection quality")
    timeout_s = 25.0

    def run(self, ctx: Context) -> Result:
        answer = network.measure_quality(ctx.system)
        limits = ctx.policy.section("network.quality")
        evidence = _quality_evidence(answer)
        error = answer.error
        if error is not None:
            step = Message.of(STEP_NAMES.get(str(error.step), str(error.step)))
            fix = [CHECK_CABLE, ANOTHER_NETWORK]
            if answer.target == "gateway":
                fix.append(CONTACT_OFFICE)
            return self.error(QUALITY_ERRORS.get(error.kind, QUALITY_ERRORS["unreachable"]),
                              evidence=evidence, step=step, detail=error.detail[:200], fix=fix)
        down, up = evidence.get("download_mbit"), evidence.get("upload_mbit")
        if not isinstance(down, float | int) or not isinstance(up, float | int):
            return self.error(N_("The speed test gave no figures"), evidence=evidence,
                              fix=[ANOTHER_NETWORK])
        fails, warns = _judge(evidence, limits)
        figures = {"down": round(down, 1), "up": round(up, 1), "rtt": evidence.get("rtt_ms")}
        improve = [
            N_("Use a LAN cable, or move closer to the Wi-Fi router."),
            N_("Stop downloads, video streaming and online games on this network during the "
               "consultation."),
            ANOTHER_NETWORK]
        if fails:
            return self.fail(N_("The connection is too weak for a video call: {problems}"),
                             evidence=evidence, problems=tuple(fails), fix=improve)
        if warns:
            steps = list(improve)
            if evidence.get("udp") == "blocked":
                steps.insert(0, N_("Allow UDP traffic: check the firewall or security "
                                   "software, or ask the network's administrator."))
            return self.warn(N_("The connection may be too weak for a good video call: "
                                "{problems}"), evidence=evidence, problems=tuple(warns),
                             fix=steps)
        if evidence.get("udp") == "measured":
            return self.passed(
                N_("Good for a video call: download {down} Mbit/s, upload {up} Mbit/s, round "
                   "trip {rtt} ms, jitter {jitter} ms, loss {loss}%"), evidence=evidence,
                jitter=evidence.get("jitter_ms"), loss=evidence.get("loss_percent"), **figures)
        return self.passed(
            N_("Good for a video call: download {down} Mbit/s, upload {up} Mbit/s, round trip "
               "{rtt} ms (jitter and loss are measured only against the booking gateway)"),
            evidence=evidence, **figures)


def _quality_evidence(answer: QualityFacts) -> dict[str, object]:
    """The figures a report carries (measured summaries; no addresses)."""
    evidence: dict[str, object] = {"target": answer.target, "duration_s": answer.duration_s}
    if answer.server is not None:
        evidence["server"] = answer.server
    for key, side in (("download", answer.download), ("upload", answer.upload)):
        if side is not None:
            evidence[f"{key}_mbit"] = round(side.mbit, 2)
            evidence[f"{key}_steady"] = side.steady
            evidence[f"{key}_streams"] = side.streams
    udp = answer.udp
    if udp is not None and udp.measured:
        evidence["udp"] = "measured"
        evidence["rtt_ms"] = udp.rtt_ms_median
        evidence["jitter_ms"] = round(udp.jitter_ms or 0.0, 1)
        evidence["loss_percent"] = round((udp.loss or 0.0) * 100, 1)
    else:
        evidence["udp"] = None if udp is None else udp.reason
        if answer.latency is not None:
            evidence["rtt_ms"] = answer.latency.min_ms
    if answer.observed is not None:
        evidence["gateway_upload_mbit"] = answer.observed.upload_mbit
        evidence["measurement_id"] = answer.measurement_id
    return evidence


def _number(value: object) -> float:
    return float(value) if isinstance(value, int | float) else 0.0


def _judge(evidence: Mapping[str, object], limits: Mapping[str, Any]
           ) -> tuple[list[Message], list[Message]]:
    fails: list[Message] = []
    warns: list[Message] = []
    for key, name in (("download", N_("download {value} Mbit/s (at least {needed})")),
                      ("upload", N_("upload {value} Mbit/s (at least {needed})"))):
        value = _number(evidence.get(f"{key}_mbit"))
        if value < limits[f"{key}_fail_below_mbit"]:
            fails.append(Message.of(name, value=round(value, 2),
                                    needed=limits[f"{key}_fail_below_mbit"]))
        elif value < limits[f"{key}_warn_below_mbit"]:
            warns.append(Message.of(name, value=round(value, 2),
                                    needed=limits[f"{key}_warn_below_mbit"]))
    checks = (("rtt_ms", "rtt", N_("round trip {value} ms (under {limit} is good)")),
              ("jitter_ms", "jitter", N_("jitter {value} ms (under {limit} is good)")))
    for key, knob, text in checks:
        if not isinstance(evidence.get(key), int | float):
            continue
        value = _number(evidence.get(key))
        if value >= limits[f"{knob}_fail_ms"]:
            fails.append(Message.of(text, value=round(value), limit=limits[f"{knob}_warn_ms"]))
        elif value >= limits[f"{knob}_warn_ms"]:
            warns.append(Message.of(text, value=round(value), limit=limits[f"{knob}_warn_ms"]))
    loss = evidence.get("loss_percent")
    if isinstance(loss, int | float):
        text = N_("packet loss {value}% (under {limit}% is good)")
        limit = round(limits["loss_warn"] * 100, 1)
        if loss >= limits["loss_fail"] * 100:
            fails.append(Message.of(text, value=loss, limit=limit))
        elif loss >= limits["loss_warn"] * 100:
            warns.append(Message.of(text, value=loss, limit=limit))
    if evidence.get("udp") == "blocked":
        warns.append(Message.of(N_("UDP is blocked: video apps fall back to slower TCP")))
    return fails, warns
