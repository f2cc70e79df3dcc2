"""System resources: enough processor and memory for a video call."""

from __future__ import annotations

from precheck import probes
from precheck.api import Check, Context, Message, Result
from precheck.result import N_

MIB = 1024 * 1024


class Resources(Check):
    """The computer has the processor and memory a video call needs, and they are free now.

    The video apps' published minimums (two processor cores, 4 GB of memory) are policy data.
    A busy processor or exhausted memory makes the picture freeze and the sound break up, so the
    check also samples the load for one second. The load precheck itself causes in that second
    (its other checks, the programs they start, the app's own preview) is measured over the same
    second and left out: it ends with precheck, so it never makes a warning of its own.
    Advisory: a slow computer can still join.
    Fix: close other programs (browsers with many tabs, games, downloads) before the call.
    """

    id = "system.resources"
    article = "2(2)"
    required = False
    title = N_("Processor and memory")
    timeout_s = 5.0

    def run(self, ctx: Context) -> Result:
        found = probes.resources(ctx.system)
        limits = ctx.policy.section("system.resources")
        evidence = {
            "cpu_count": found.cpu_count,
            "cpu_percent": round(found.cpu_percent, 1),
            "precheck_cpu_percent": round(found.own_cpu_percent, 1),
            "memory_total_mb": found.memory_total // MIB,
            "memory_available_mb": found.memory_available // MIB,
        }
        problems: list[Message] = []
        fixes: list[Message] = []
        if found.cpu_count < limits["min_cpu_count"]:
            problems.append(Message.of(N_("only {count} processor core(s), {minimum} recommended"),
                                       count=found.cpu_count, minimum=limits["min_cpu_count"]))
            fixes.append(Message.of(N_("If you can, use a newer computer for the consultation.")))
        if found.memory_total // MIB < limits["min_memory_total_mb"]:
            problems.append(Message.of(N_("{total} MB of memory, {minimum} MB recommended"),
                                       total=found.memory_total // MIB,
                                       minimum=limits["min_memory_total_mb"]))
            fixes.append(Message.of(N_("If you can, use a computer with more memory.")))
        busy = found.others_cpu_percent
        if busy > limits["max_cpu_percent"]:
            problems.append(Message.of(N_("other programs keep the processor {percent}% busy"),
                                       percent=round(busy)))
        if found.memory_available // MIB < limits["min_memory_available_mb"]:
            problems.append(Message.of(N_("only {available} MB of memory is free"),
                                       available=found.memory_available // MIB))
        if problems and len(fixes) < len(problems):
            fixes.insert(0, Message.of(N_("Close programs you do not need (other browsers and "
                                          "tabs, games, downloads), then check again.")))
        if problems:
            return self.warn(N_("The computer may be too slow for a video call: {problems}"),
                             fix=fixes, evidence=evidence,
                             problems=tuple(problems))
        return self.passed(
            N_("{cores} cores, {available} MB of {total} MB memory free, processor {percent}% "
               "busy with other programs"),
            evidence=evidence, cores=found.cpu_count, available=found.memory_available // MIB,
            total=found.memory_total // MIB, percent=round(busy),
        )

