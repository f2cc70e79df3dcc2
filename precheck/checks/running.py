"""Unneeded software during the consultation (Article 5(5), second sentence)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from precheck.api import Check, Context, ProbeError, ProbeMissing, Result
from precheck.probes import office, software
from precheck.probes.software import PROCESS_NAMES, Signature, running_matches, signatures
from precheck.result import N_, Message

FILE_SHARING = "file_sharing"

#: What each kind of program is, in plain words.
KIND_WORDS = {
    "call": N_("another video or call app"),
    "remote": N_("screen sharing or remote control"),
    "game": N_("game launcher"),
    "streaming": N_("music or video streaming"),
    "sync": N_("cloud storage sync"),
    FILE_SHARING: N_("file sharing"),
}
#: How to close each kind, most disturbing kinds first (the order of the fix steps).
CLOSE_STEPS = {
    FILE_SHARING: N_("Quit {programs} now: file-sharing programs must not be on this computer at "
                     "all (see the file-sharing check)."),
    "remote": N_("Close {programs} and end any remote session: during the consultation nobody "
                 "else may see or control your screen. On Windows right-click its icon at the "
                 "right of the taskbar and choose Exit or Quit; on a Mac choose Quit in its "
                 "menu."),
    "call": N_("Quit {programs}: they can take the camera and microphone and ring during the "
               "consultation. Choose Quit or Exit in its menu; on Windows also right-click its "
               "icon at the right of the taskbar and choose Quit; on a Mac press Command-Q."),
    "game": N_("Quit {programs}: launchers download updates and show pop-ups. On Windows "
               "right-click its icon at the right of the taskbar and choose Exit (Steam: Steam > "
               "Exit); on a Mac press Command-Q."),
    "streaming": N_("Stop playing and quit {programs} (its menu > Quit or Exit)."),
    "sync": N_("Pause syncing in {programs} for the consultation, or quit it: click its icon at "
               "the right of the taskbar (on a Mac at the top right of the screen) and choose "
               "Pause syncing or Quit. It uploads and downloads at full speed in the "
               "background."),
}
NO_PROCESSES = N_("Could not read the list of running programs")
RUN_AGAIN = N_("Check again as the user who uses this computer. If it still fails, save the "
               "diagnostic file and send it to the Hello Work staff.")


@dataclass(frozen=True, slots=True)
class _Program:
    """One policy entry: a program, what kind it is, and whether it is an office video app."""

    signature: Signature
    kind: str
    video_app: str | None


def _programs(knobs: Mapping[str, Any], file_sharing: Sequence[Mapping[str, Any]]
              ) -> list[_Program]:
    programs = [_Program(Signature.from_policy(e), str(e["kind"]),
                         str(e["video_app"]) if e.get("video_app") else None)
                for e in knobs["programs"]]
    if knobs["include_file_sharing"]:
        programs += [_Program(s, FILE_SHARING, None) for s in signatures(file_sharing)
                     if s.processes]
    return programs


class Running(Check):
    """No program that competes with the consultation is running (Article 5(5): オンライン職業相談
    等利用中に不要なソフトは起動しないこと).

    During the consultation other programs compete with the video app for the camera, the
    microphone, the network or the job seeker's attention. The names of the programs running now
    are matched exactly against the policy's list (other video and call apps, screen sharing and
    remote control, game launchers, music and video streaming, cloud storage sync, and the
    file-sharing programs of Article 5(5)). The office's own video app (TeleOffice or Zoom, from
    the chosen office's profile) is never named. Advisory: it runs on the day (check-in) and any
    time; a match gives a warning naming each program in plain words with how to close it. The
    report names the matched programs only, never the process list.
    Fix: quit the named programs (their Quit or Exit menu; on Windows the icons at the right of
    the taskbar), pause cloud sync, end remote sessions, then run precheck again.
    """

    id = "software.running"
    article = "5(5)"
    required = False
    title = N_("No unneeded programs running")

    def run(self, ctx: Context) -> Result:
        knobs = ctx.policy.section("software.running")
        programs = _programs(knobs, ctx.policy.section("software.file_sharing")["products"])
        try:
            names = software.process_names(ctx.system)
        except ProbeMissing:
            raise
        except ProbeError as exc:
            return self.error(NO_PROCESSES, fix=[RUN_AGAIN],
                              evidence={"probe": exc.probe, "reason": exc.kind})
        if not names:  # a live system always runs something: an empty list is no answer
            return self.error(NO_PROCESSES, fix=[RUN_AGAIN],
                              evidence={"probe": PROCESS_NAMES, "reason": "empty"})
        chosen = office.video_app(ctx.system)
        spared = {chosen.casefold()} if chosen else {
            str(a).casefold() for a in knobs["default_office_apps"]}
        found: dict[str, list[str]] = {}
        for program in programs:
            if program.video_app is not None and program.video_app.casefold() in spared:
                continue
            if running_matches(names, [program.signature]):
                found.setdefault(program.kind, [])
                if program.signature.name not in found[program.kind]:
                    found[program.kind].append(program.signature.name)
        evidence: dict[str, object] = {"office_video_app": chosen,
                                       "spared": sorted(spared), "checked": len(names)}
        if not found:
            return self.passed(N_("No program worth closing is running ({count} programs "
                                  "checked)"), evidence=evidence, count=len(names))
        order = list(CLOSE_STEPS)
        kinds = sorted(found, key=order.index)
        evidence["programs"] = [f"{kind}: {name}" for kind in kinds for name in found[kind]]
        described = [Message.of(N_("{name} ({kind})"), name=name, kind=Message.of(KIND_WORDS[k]))
                     for k in kinds for name in found[k]]
        fix: list[str | Message] = [Message.of(CLOSE_STEPS[k], programs=found[k]) for k in kinds]
        fix.append(N_("Then run precheck again."))
        return self.warn(N_("Programs worth closing before the consultation: {programs}"),
                         programs=described, evidence=evidence, fix=fix)
