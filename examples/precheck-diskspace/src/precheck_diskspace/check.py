"""diskspace.free: the system disk has room for the video app and its updates."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any, ClassVar

from precheck.api import N_, Check, Context, Result
from precheck_diskspace.probe import disk_usage

GB = 1024**3


class FreeSpace(Check):
    """The system disk has enough free space for the video app to install, update and cache.

    A full disk stops the video app from updating (the terms ask for up-to-date software,
    Article 12(4)) and can freeze the call. This is the vendor's own rule, not an article of the
    terms, so its ``article`` names its source. Advisory: it warns, never blocks a booking.
    Fix: empty the recycle bin and delete large files you no longer need.
    """

    id = "diskspace.free"
    article = "vendor:disk-space"
    required = False
    title = N_("Free disk space")
    timeout_s = 5.0
    domain = "precheck_diskspace"
    locale_dir = Path(__file__).parent / "locale"
    #: The section ``[diskspace.free]``; a policy file may set it instead.
    policy_defaults: ClassVar[Mapping[str, Any]] = {"min_free_gb": 5, "min_free_percent": 5}

    def run(self, ctx: Context) -> Result:
        usage = disk_usage(ctx.system)
        limits = ctx.policy.section(self.id)
        free_gb = round(usage.free / GB, 1)
        percent = round(100 * usage.free / usage.total) if usage.total else 0
        evidence = {"free_gb": free_gb, "total_gb": round(usage.total / GB, 1),
                    "free_percent": percent}
        if free_gb < limits["min_free_gb"] or percent < limits["min_free_percent"]:
            return self.warn(
                N_("Only {free} GB ({percent}%) of the disk is free; at least {minimum} GB is "
                   "recommended"),
                fix=[N_("Empty the recycle bin and delete large files you no longer need, "
                        "then check again.")],
                evidence=evidence, free=free_gb, percent=percent, minimum=limits["min_free_gb"])
        return self.passed(N_("{free} GB ({percent}%) of the disk is free"), evidence=evidence,
                           free=free_gb, percent=percent)
