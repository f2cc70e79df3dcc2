"""Threats: no active or unresolved virus detection on the machine (Article 5(1))."""

from __future__ import annotations

from precheck.api import Check, Context, Platform, Result
from precheck.probes import antivirus, threats
from precheck.probes.antivirus import AntivirusState
from precheck.probes.threats import Threat, ThreatState
from precheck.result import N_, Message

REMOVE = N_("Open Start > Settings > Privacy & security > Windows Security > Virus & threat "
            "protection (Windows 10: Settings > Update & Security > Windows Security). Under "
            "\"Current threats\" click \"Start actions\" (or open each threat and choose "
            "\"Remove\"), then restart the computer.")
FULL_SCAN = N_("Then run a full scan: Virus & threat protection > Scan options > \"Full scan\" "
               "> \"Scan now\". If the threat comes back, choose \"Microsoft Defender Offline "
               "scan\" there instead; the computer restarts and scans for about 15 minutes.")
ALLOWED = N_("If you allowed {threats} yourself, open Virus & threat protection > Protection "
             "history, open the item and choose \"Remove\" (or remove it from \"Allowed "
             "threats\"), then scan again.")
AGAIN = N_("Then check again.")
AS_ADMIN = N_("Run precheck as an administrator: right-click it and choose \"Run as "
              "administrator\" (or ask the computer's owner to). Windows lets only "
              "administrators read Defender's list of detected threats.")
SHOW_SCREEN = N_("Or open Windows Security > Virus & threat protection and check that it says "
                 "\"No current threats\"; show this screen to the Hello Work staff.")
#: What Defender still asks for (the parser's labels), as words to translate.
ACTION_WORDS = {"full scan": N_("a full scan"), "restart": N_("a restart"),
                "manual steps": N_("manual steps"), "offline scan": N_("an offline scan")}
RETRY = N_("Check again; if it happens again, save the diagnostic file and send it to the "
           "Hello Work staff.")


class Threats(Check):
    """No virus or other threat detected by the antivirus is still active or unresolved
    (Article 5(1): ウイルス感染やセキュリティ侵害がない安全な端末であること).

    Windows: Microsoft Defender's threats (WMI ``MSFT_MpThreat``, ``IsActive``) and detections
    (``MSFT_MpThreatDetection``, ``ThreatStatusID`` and ``AdditionalActionsBitMask``). A threat
    that is active, only detected, allowed by the user or whose removal failed fails the check,
    naming the threat only; one whose removal waits for a restart or a scan fails with those
    steps; quarantined, removed, cleaned and blocked ones do not matter. When another antivirus
    is the active one, or on macOS and Linux (XProtect and ClamAV keep no detection list that
    precheck can read), the platform cannot tell: ``skip`` with the reason. Reading the list may
    need administrator rights: then ``error`` saying so, never ``pass``.
    Fix: Windows Security > Virus & threat protection > "Start actions" (or Remove), restart,
    run a full scan (or Microsoft Defender Offline scan), and run precheck again.
    """

    id = "security.threats"
    article = "5(1)"
    required = True
    title = N_("No active threats")
    timeout_s = 20.0

    def run(self, ctx: Context) -> Result:
        platform = ctx.system.platform
        if platform is Platform.MACOS:
            return self.skip(N_("macOS keeps no list of detected threats that precheck can "
                                "read (XProtect removes known malware by itself)"))
        if platform is Platform.LINUX:
            return self.skip(N_("Linux antivirus (ClamAV) keeps no list of detected threats "
                                "that precheck can read"))
        protection = antivirus.antivirus(ctx.system)
        other = _other_active(protection)
        if other is not None:
            return self.skip(N_("{products} is the active antivirus; precheck can read only "
                                "Microsoft Defender's detections. Look for threats in "
                                "{products} itself"), products=other,
                             evidence={"active_antivirus": other})
        return self._defender(threats.threats(ctx.system), protection)

    def _defender(self, state: ThreatState, antivirus: AntivirusState) -> Result:
        evidence: dict[str, object] = {
            "problems": [f"{probe}: {kind}" for probe, kind in state.problems],
            "detections_read": state.detections_read,
        }
        threats = state.threats
        if threats is not None:
            evidence["threats"] = [f"{t.name}: {t.state}" for t in threats if t.state
                                   != "resolved"]
            evidence["resolved"] = sum(t.state == "resolved" for t in threats)
            unresolved = [t for t in threats if t.unresolved]
            if unresolved:
                return self._active(unresolved, evidence)
        if state.denied:
            return self.error(N_("Reading Microsoft Defender's list of threats needs "
                                 "administrator rights"), fix=[AS_ADMIN, SHOW_SCREEN],
                              evidence=evidence)
        if threats is None:
            defender = antivirus.defender
            if ("unavailable" in {kind for _, kind in state.problems}
                    and (defender is None or not defender.protecting)):
                return self.skip(N_("Microsoft Defender is not running, so no list of "
                                    "detected threats can be read (see the Antivirus check)"),
                                 evidence=evidence)
            return self.error(N_("Could not read Microsoft Defender's list of threats"),
                              fix=[RETRY, SHOW_SCREEN], evidence=evidence)
        if not state.detections_read:
            return self.error(N_("Could not read Microsoft Defender's detections"),
                              fix=[RETRY, SHOW_SCREEN], evidence=evidence)
        unknown = [t.name for t in threats if t.state == "unknown"]
        if unknown:
            return self.error(N_("Could not read whether Microsoft Defender dealt with "
                                 "{threats}"), threats=unknown, fix=[RETRY, SHOW_SCREEN],
                              evidence=evidence)
        pending = [t for t in threats if t.state == "action needed"]
        if pending:
            actions = sorted({a for t in pending for a in t.actions})
            evidence["actions"] = actions
            return self.fail(
                N_("Microsoft Defender needs {actions} to finish removing: {threats}"),
                threats=[t.name for t in pending], evidence=evidence,
                actions=[Message.of(ACTION_WORDS[a]) for a in actions],
                fix=[REMOVE, FULL_SCAN, AGAIN])
        return self.passed(N_("Microsoft Defender reports no active threats ({resolved} past "
                              "detections dealt with)"),
                           resolved=sum(t.state == "resolved" for t in threats),
                           evidence=evidence)

    def _active(self, threats: list[Threat], evidence: dict[str, object]) -> Result:
        names = [t.name for t in threats]
        fix: list[str | Message] = [REMOVE, FULL_SCAN]
        allowed = [t.name for t in threats if t.state == "allowed"]
        if allowed:
            fix.append(Message.of(ALLOWED, threats=allowed))
        fix.append(AGAIN)
        return self.fail(N_("Microsoft Defender found threats that are not removed: "
                            "{threats}"), threats=names, fix=fix, evidence=evidence)


def _other_active(state: AntivirusState) -> list[str | Message] | None:
    """The third-party antivirus that protects instead of Defender, when there is one."""
    defender = state.defender
    if defender is not None and defender.protecting:
        return None
    third: list[str | Message] = [p.name for p in state.registered or ()
                                  if p.enabled and not p.builtin]
    if third:
        return third
    if defender is not None and defender.passive:
        return [Message.of(N_("another antivirus"))]
    return None
