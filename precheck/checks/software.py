"""Software: no file-sharing software (Article 5(5)), no recording during the consultation
(Article 12(2)), browsers up to date (Article 12(4))."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from precheck.api import Check, Context, Platform, ProbeError, ProbeMissing, Result
from precheck.probes import software
from precheck.probes.software import (
    PROCESS_NAMES,
    Inventory,
    Signature,
    installed_matches,
    running_matches,
    signatures,
)
from precheck.probes.software.versions import at_least, is_transitional, parse_version, show
from precheck.result import N_, Message

#: Where the inventory came from, as evidence (kinds only: never the programs themselves).
_SOURCE_KIND = {"uninstall": "uninstall registry", "file": "program files", "shortcut":
                "Start menu", "app": "Applications folder", "dpkg": "dpkg", "rpm": "rpm",
                "flatpak": "flatpak", "snap": "snap"}
RUN_AGAIN = N_("Start precheck as the person who uses this computer and check again. If it "
               "still fails, send the diagnostic file to the Hello Work staff.")


def _sources(inventory: Inventory) -> dict[str, object]:
    """How many inventory sources answered and which could not be read, as evidence."""
    return {"sources_read": len(inventory.read), "sources_unreadable": list(inventory.unreadable)}


def _unreadable(check: Check, msgid: str, evidence: Mapping[str, object]) -> Result:
    return check.error(msgid, evidence=evidence, fix=[RUN_AGAIN])


class FileSharing(Check):
    """No file-sharing (P2P) software is installed or running (Article 5(5): ファイル共有ソフト
    (Winny、Share 等) がインストールされていないこと).

    File-sharing programs leak files (IPA warned of Winny, Share and LimeWire leaks) and let
    others reach the computer. The installed programs (Windows uninstall keys for the machine and
    the user, program executables in Program Files, AppData, Desktop and Downloads, Start-menu
    shortcuts; macOS application bundles; Linux dpkg/rpm/flatpak/snap packages) and the running
    processes are matched against the policy's precise signatures: exact executable, bundle and
    package names and whole-name patterns, so ordinary software is never flagged. The report
    names the matched product only, never the program list.
    Fix: quit the program, uninstall it (Settings > Apps on Windows; drag it to the Trash on a
    Mac; the package manager on Linux), and delete any folder it was unzipped into.
    """

    id = "software.file_sharing"
    article = "5(5)"
    required = True
    title = N_("No file-sharing software")
    timeout_s = 30.0

    def run(self, ctx: Context) -> Result:
        products = signatures(ctx.policy.section("software.file_sharing")["products"])
        inventory = software.installed(ctx.system)
        names = software.process_names(ctx.system)
        installed = installed_matches(inventory, products)
        running = running_matches(names, products)
        found = sorted(set(installed) | set(running))
        evidence = _sources(inventory)
        if found:
            evidence.update(
                products=found, running=sorted(running),
                found_in=sorted({_SOURCE_KIND[p.source] for hits in installed.values()
                                 for p in hits}),
            )
            return self.fail(
                N_("File-sharing software found: {products}"), products=found,
                evidence=evidence, fix=self._fix(ctx.system.platform, found, bool(running)),
            )
        if not inventory.read:
            return _unreadable(self, N_("Could not read the list of installed programs"),
                               evidence)
        if inventory.unreadable:  # a list not read may hold the very program
            return self.error(N_("Could not read every list of installed programs: no "
                                 "file-sharing software in the {sources} lists read, but {unread} "
                                 "could not be read"), evidence=evidence, fix=[RUN_AGAIN],
                              sources=len(inventory.read), unread=len(inventory.unreadable))
        return self.passed(
            N_("No file-sharing software found ({sources} sources checked)"),
            sources=len(inventory.read), evidence=evidence,
        )

    @staticmethod
    def _fix(platform: Platform, found: list[str], running: bool) -> list[str | Message]:
        steps: list[str | Message] = []
        if running:
            steps.append(Message.of(N_("Quit {products} now: use Exit or Quit in its menu (on "
                                       "Windows also check the icons at the right of the "
                                       "taskbar)."), products=found))
        if platform is Platform.WINDOWS:
            steps.append(Message.of(N_("Open Settings > Apps > Installed apps, find {products} "
                                       "and choose Uninstall."), products=found))
            steps.append(N_("If it has no entry there (Winny, Share and other programs are just "
                            "unzipped), delete the folder that holds it, for example on the "
                            "Desktop or in Downloads, and empty the Recycle Bin."))
        elif platform is Platform.MACOS:
            steps.append(Message.of(N_("Open Finder > Applications, drag {products} to the Trash "
                                       "and empty the Trash."), products=found))
        else:
            steps.append(Message.of(N_("Remove {products} with your software manager, or in a "
                                       "terminal with `sudo apt remove PACKAGE` (Debian, Ubuntu), "
                                       "`sudo dnf remove PACKAGE` (Fedora), `flatpak uninstall "
                                       "APP` or `sudo snap remove PACKAGE`."), products=found))
        steps.append(N_("Then check again."))
        return steps


QUIT_RECORDER = N_("Quit {products} before the consultation: stop any recording, then choose "
                   "Exit or Quit in its menu (on Windows also check the icons at the right of "
                   "the taskbar; on a Mac, the icons at the top right of the screen).")
NO_PROCESSES = N_("Could not read the list of running programs")
NO_RECORDING = N_("Do not record the consultation in any other way either: no screen "
                  "recording, no sound recording, no phone or camera pointed at the screen.")


class Recording(Check):
    """No screen or sound recording program is running (Article 12(2): オンライン職業相談等の
    録画・録音はその方法を問わず禁止).

    The consultation may not be recorded by any means. The names of the programs running now are
    matched exactly against the policy's list of recording programs (OBS Studio, Bandicam,
    ShareX, Camtasia, Audacity, SimpleScreenRecorder, Kazam, ...). Parts of Windows or of the
    graphics driver that run all the time (Xbox Game Bar, NVIDIA and AMD overlays) and players
    whose recording cannot be told (QuickTime Player) are not flagged. Advisory: a running
    recorder gives a warning naming the product only.
    Fix: quit the recording program before the consultation (its Exit or Quit menu; on Windows
    also the icons at the right of the taskbar), and do not record the consultation in any way.
    """

    id = "software.recording"
    article = "12(2)"
    required = False
    title = N_("No recording software running")

    def run(self, ctx: Context) -> Result:
        products = signatures(ctx.policy.section("software.recording")["products"])
        try:
            names = software.process_names(ctx.system)
        except ProbeMissing:
            raise
        except ProbeError as exc:
            return _unreadable(self, NO_PROCESSES, {"probe": exc.probe, "reason": exc.kind})
        if not names:  # a live system always runs something: an empty list is no answer
            return _unreadable(self, NO_PROCESSES, {"probe": PROCESS_NAMES, "reason": "empty"})
        running = running_matches(names, products)
        if running:
            return self.warn(
                N_("Recording software is running: {products}. Recording the consultation "
                   "(video or sound) is forbidden by Article 12(2) of the terms"),
                products=running, evidence={"products": running},
                fix=[Message.of(QUIT_RECORDER, products=running), NO_RECORDING,
                     N_("Then check again.")],
            )
        return self.passed(N_("No recording software is running ({count} programs checked)"),
                           count=len(names))


# -- browsers ------------------------------------------------------------------------------------

UPDATE_STEPS = {
    "chrome": N_("Open Google Chrome, click the ⋮ menu at the top right > Help > About Google "
                 "Chrome. Chrome downloads the update; click \"Relaunch\"."),
    "edge": N_("Open Microsoft Edge, click the … menu at the top right > Help and feedback > "
               "About Microsoft Edge. Edge downloads the update; click \"Restart\"."),
    "firefox": N_("Open Firefox, click the ≡ menu at the top right > Help > About Firefox. "
                  "Firefox downloads the update; click \"Restart to update Firefox\"."),
    "safari": N_("Open the Apple menu > System Settings > General > Software Update and install "
                 "the Safari or macOS update that is offered, then restart."),
    "chromium": N_("Update Chromium from where it was installed (on Linux: the software manager "
                   "or the package manager)."),
}
PACKAGE_STEPS = {
    "dpkg": N_("In a terminal run \"sudo apt update\" and then \"sudo apt full-upgrade\" "
               "(or open Software Updater / Update Manager and install all updates)."),
    "rpm": N_("In a terminal run \"sudo dnf upgrade --refresh\" (or install all updates in the "
              "Software application)."),
    "snap": N_("In a terminal run \"sudo snap refresh\", then close and reopen the browser."),
    "flatpak": N_("In a terminal run \"flatpak update\", then close and reopen the browser."),
}


@dataclass(frozen=True, slots=True)
class _Found:
    """One browser as installed: its newest copy with a readable version."""

    name: str
    minimum: tuple[int, ...]
    update: str
    version: tuple[int, ...] | None
    source: str  # where the newest copy was found

    @property
    def current(self) -> bool:
        return self.version is not None and at_least(self.version, self.minimum)


def _browsers(inventory: Inventory, entries: list[Mapping[str, Any]]) -> list[_Found]:
    found: list[_Found] = []
    for entry in entries:
        signature = Signature.from_policy(entry)
        minimum = parse_version(str(entry["minimum"])) or (0,)
        copies = [p for p in inventory.programs if signature.matches_program(p)
                  and not (p.version and is_transitional(p.version))]
        if not copies:
            continue
        known = [(v, p) for p in copies if (v := parse_version(p.version)) is not None]
        if known:
            version, program = max(known, key=lambda pair: pair[0])
            found.append(_Found(signature.name, minimum, str(entry["update"]), version,
                                program.source))
        else:
            found.append(_Found(signature.name, minimum, str(entry["update"]), None,
                                copies[0].source))
    return found


def _fix_for(browser: _Found) -> str:
    return PACKAGE_STEPS.get(browser.source) or UPDATE_STEPS[browser.update]


class Browser(Check):
    """The installed browsers are recent enough to get security fixes (Article 12(4): ブラウザ
    及びソフトウェアを最新の状態にしておくこと).

    The video app runs in, or next to, a browser, and an out-of-date browser misses security
    fixes. Edge, Chrome, Firefox, Safari and Chromium are found in the shared software inventory
    (Windows uninstall keys with their DisplayVersion; macOS bundles with their version; Linux
    dpkg, rpm, snap and flatpak packages) and the newest copy of each is compared numerically
    with the policy's conservative minimum (below it, the vendor surely no longer ships fixes
    for it). Advisory: an old browser, or no browser at all, gives a warning.
    Fix: open the browser's About page (Chrome: ⋮ > Help > About Google Chrome; Edge: … > Help
    and feedback > About Microsoft Edge; Firefox: ≡ > Help > About Firefox) and restart it; on
    a Mac use Software Update; on Linux update the packages (apt, dnf, snap, flatpak).
    """

    id = "software.browser"
    article = "12(4)"
    required = False
    title = N_("Browser up to date")
    timeout_s = 30.0

    def run(self, ctx: Context) -> Result:
        entries = list(ctx.policy.section("software.browser")["browsers"])
        inventory = software.installed(ctx.system)
        found = _browsers(inventory, entries)
        evidence: dict[str, object] = {
            "browsers": [f"{b.name} {show(b.version) if b.version else '?'}" for b in found],
            **_sources(inventory),
        }
        old = [b for b in found if b.version is not None and not b.current]
        if old:
            return self.warn(
                N_("Out-of-date browser: {browsers}. Update it before the consultation"),
                browsers=[Message.of(N_("{name} {version} (needs {minimum} or newer)"),
                                     name=b.name, version=show(b.version or ()),
                                     minimum=show(b.minimum)) for b in old],
                evidence=evidence,
                fix=[*dict.fromkeys(_fix_for(b) for b in old), N_("Then check again.")],
            )
        current = [b for b in found if b.current]
        if current:
            return self.passed(N_("Browsers up to date: {browsers}"), evidence=evidence,
                               browsers=[f"{b.name} {show(b.version or ())}" for b in current])
        if found:  # found, but no version could be read
            names = [b.name for b in found]
            return self.warn(N_("Could not read the version of {browsers}"), browsers=names,
                             evidence=evidence,
                             fix=[*dict.fromkeys(_fix_for(b) for b in found),
                                  N_("Then check again.")])
        if not inventory.read:
            return _unreadable(self, N_("Could not read the list of installed programs"),
                               evidence)
        return self.warn(
            N_("No web browser was found; the video app may need one"), evidence=evidence,
            fix=[N_("Install an up-to-date browser: Microsoft Edge (microsoft.com/edge) or "
                    "Google Chrome (google.com/chrome) on Windows and Mac; on Linux Firefox or "
                    "Chromium from the software manager. Then check again.")],
        )
