"""OS patches: the latest security updates are installed (Article 5(3))."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from precheck.api import Check, Context, Message, Platform, Result
from precheck.probes import patches
from precheck.probes.patches import PatchState
from precheck.result import N_

INSTALL = {
    Platform.WINDOWS: N_("Open Start > Settings > Windows Update (Windows 10: Settings > Update & "
                         "Security > Windows Update), click \"Check for updates\", install "
                         "everything offered, restart, and check again."),
    Platform.MACOS: N_("Open the Apple menu > System Settings > General > Software Update (macOS "
                       "12 and earlier: System Preferences > Software Update), install the "
                       "updates offered, restart, and check again."),
    Platform.LINUX: N_("Install the updates: on Debian, Ubuntu or Linux Mint run \"sudo apt "
                       "update && sudo apt full-upgrade\" in a terminal (or use the Update "
                       "Manager); on Fedora, Red Hat, Rocky or AlmaLinux run \"sudo dnf upgrade "
                       "--refresh\"; then restart and check again."),
}
RESTART = N_("Restart the computer (Start > Power > \"Update and restart\" on Windows; Apple menu "
             "> Restart on a Mac; \"sudo reboot\" on Linux) so the installed updates take "
             "effect, then check again.")
WHO_READS = {
    Platform.WINDOWS: N_("Windows did not list its installed updates. Open Settings > Windows "
                         "Update > Update history to see them; if the list is empty or Windows "
                         "Update shows an error, run Settings > System > Troubleshoot > Other "
                         "troubleshooters > Windows Update."),
    Platform.MACOS: N_("The Mac could not ask Apple for updates: connect to the internet and "
                       "check again."),
    Platform.LINUX: N_("precheck knows apt (Debian, Ubuntu, Linux Mint) and dnf (Fedora, Red "
                       "Hat, Rocky, AlmaLinux); on another distribution, install its updates and "
                       "show the Hello Work staff that none are pending."),
}

#: Sources a job seeker reads in a message that are not a program's own name.
SOURCE_NAMES = {"package manager": N_("neither apt nor dnf was found")}


class OsPatches(Check):
    """The latest security updates are installed, and none waits for a restart
    (Article 5(3): 最新のセキュリティパッチが適用されていること).

    Windows: the newest installed update (WMI Win32_QuickFixEngineering InstalledOn, read in a
    locale-independent way) must be at most ``max_days_since_update`` days old (warn after
    ``warn_days_since_update``). macOS: no recommended update pending in ``softwareupdate -l``.
    Linux: no security update pending (apt simulation, or dnf security advisories); old apt
    package lists warn. A restart waiting for installed updates warns (``reboot_pending``). No
    administrator rights are needed; when the updates themselves could not be read, the result is
    an error saying which source, never a pass (a restart that could not be read is only recorded
    as unknown).
    Fix: install the updates offered by Windows Update, Software Update or the package manager,
    then restart.
    """

    id = "os.patches"
    article = "5(3)"
    required = True
    title = N_("Security updates")
    timeout_s = 110.0

    def run(self, ctx: Context) -> Result:
        state = patches.patches(ctx.system)
        knobs = ctx.policy.section("os.patches")
        platform = ctx.system.platform
        today = ctx.system.now().date()
        evidence: dict[str, object] = {
            "source": state.source,
            "newest_update": None if state.newest_update is None
            else state.newest_update.isoformat(),
            "updates_listed": state.updates_listed, "undated": state.undated,
            "date_order": state.date_order,
            "pending_security": None if state.pending_security is None
            else len(state.pending_security),
            "pending_other": state.pending_other, "reboot_required": state.reboot_required,
            "package_lists_age_days": state.lists_age_days,
            "unreadable": [f"{s}:{why}" for s, why in state.unreadable],
        }
        if platform is Platform.WINDOWS:
            verdict = self._windows(state, today, knobs, evidence)
        else:
            verdict = self._pending(state, knobs, evidence, platform)
        if verdict is not None:
            return verdict
        return self._restart_and_lists(state, knobs, evidence, platform)

    def _windows(self, state: PatchState, today: date, knobs: Mapping[str, Any],
                 evidence: dict[str, object]) -> Result | None:
        if state.source is None:  # Win32_QuickFixEngineering could not be read
            return self.error(
                N_("Could not tell when security updates were last installed: Windows did not "
                   "list its installed updates"),
                fix=[WHO_READS[Platform.WINDOWS], INSTALL[Platform.WINDOWS]], evidence=evidence)
        if state.newest_update is None:
            return self.error(
                N_("Could not tell when security updates were last installed: Windows listed "
                   "{count} installed updates, none with a readable date"),
                fix=[WHO_READS[Platform.WINDOWS], INSTALL[Platform.WINDOWS]],
                evidence=evidence, count=state.updates_listed)
        age = (today - state.newest_update).days
        evidence["days_since_update"] = age
        args = {"date": state.newest_update.isoformat(), "days": age}
        if age > knobs["max_days_since_update"]:
            return self.fail(
                N_("The newest Windows update was installed on {date}, {days} days ago: the "
                   "latest security updates are missing (at most {limit} days allowed)"),
                fix=[INSTALL[Platform.WINDOWS]], evidence=evidence,
                limit=knobs["max_days_since_update"], **args)
        if age > knobs["warn_days_since_update"]:
            return self.warn(
                N_("The newest Windows update was installed on {date}, {days} days ago: this "
                   "month's security update may be missing"),
                fix=[INSTALL[Platform.WINDOWS]], evidence=evidence, **args)
        return None

    def _pending(self, state: PatchState, knobs: Mapping[str, Any],
                 evidence: dict[str, object], platform: Platform) -> Result | None:
        pending = state.pending_security
        if pending is None:
            sources = tuple(Message.of(SOURCE_NAMES[s]) if s in SOURCE_NAMES else s
                            for s, _ in state.unreadable)
            return self.error(N_("Could not tell whether security updates are pending ({sources})"),
                              fix=[WHO_READS[platform], INSTALL[platform]], evidence=evidence,
                              sources=sources)
        if len(pending) > knobs["max_pending_security"]:
            return self.fail(
                N_("{count} security updates are not installed yet"),
                fix=[INSTALL[platform], RESTART], evidence=evidence, count=len(pending))
        return None

    def _restart_and_lists(self, state: PatchState, knobs: Mapping[str, Any],
                           evidence: dict[str, object], platform: Platform) -> Result:
        if state.reboot_required and knobs["reboot_pending"] != "pass":
            make = self.fail if knobs["reboot_pending"] == "fail" else self.warn
            return make(N_("Updates are installed but wait for a restart to take effect"),
                        fix=[RESTART], evidence=evidence)
        age = state.lists_age_days
        if age is not None and age > knobs["max_package_lists_age_days"]:
            return self.warn(
                N_("No security update is pending according to package lists {days} days old: "
                   "newer updates may be missing"),
                fix=[INSTALL[platform]], evidence=evidence, days=age)
        if platform is Platform.WINDOWS:
            return self.passed(N_("The newest Windows update was installed on {date}"),
                               evidence=evidence, date=evidence["newest_update"])
        return self.passed(N_("No security update is pending"), evidence=evidence)

