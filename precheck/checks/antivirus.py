"""Antivirus: a registered, enabled antivirus with up-to-date signatures (Article 5(6))."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from precheck.api import Check, Context, Platform, Result, Status
from precheck.checks.editions import (
    BUILTIN,
    CLASS_WORDS,
    EITHER,
    FREE,
    OPEN_SOURCE,
    UNKNOWN,
    XPROTECT,
    EditionPolicy,
    Judged,
)
from precheck.probes import antivirus, software
from precheck.probes.antivirus import AntivirusState, Defender, SignatureSet
from precheck.probes.security_center import RegisteredProduct
from precheck.probes.software import running_matches, signatures
from precheck.result import N_, Message

RETRY = N_("Check again; if it happens again, save the diagnostic file and send it to the "
           "Hello Work staff.")
DEFENDER_ON = N_("Open Start > Settings > Privacy & security > Windows Security > Virus & threat "
                 "protection (Windows 10: Settings > Update & Security > Windows Security), "
                 "open \"Manage settings\" and switch \"Real-time protection\" on.")
DEFENDER_UPDATE = N_("Open Windows Security > Virus & threat protection > Protection updates "
                     "and click \"Check for updates\", then check again.")
THIRD_PARTY_UPDATE = N_("Open {products} from the Start menu or the icon at the right of the "
                        "taskbar and run its update (often \"Update\" or \"Update now\"), then "
                        "check again.")
LEFTOVER = N_("If {products} was uninstalled, its entry can stay behind in Windows Security: run "
              "its vendor's removal tool (e.g. the \"McAfee Consumer Product Removal tool\"), "
              "restart, and Microsoft Defender turns itself on again.")
XPROTECT_UPDATE = N_("Open the Apple menu > System Settings > General > Software Update > "
                     "Automatic updates (the (i) button on macOS 13 and 14) and switch on "
                     "\"Install Security Responses and system files\"; then click \"Update "
                     "Now\" if an update is offered, and restart.")
CLAMAV_INSTALL = N_("Install ClamAV and its updater: on Debian, Ubuntu or Linux Mint run \"sudo "
                    "apt install clamav clamav-freshclam\", on Fedora \"sudo dnf install clamav "
                    "clamav-update\"; then run \"sudo freshclam\".")
# 有償版相当 (Article 5(6)): what the office may ask when the protecting product's class is not
# accepted by its policy (docs/checks.md, security.antivirus, "有償版相当").
EDITION_FREE = N_("{products} is on and up to date, but it is the free edition of an antivirus "
                  "that is also sold. Article 5(6) of the terms asks for antivirus equivalent to "
                  "a paid edition (有償版相当): the office may ask you to use the paid edition or "
                  "Microsoft Defender, which is built into Windows")
EDITION_EITHER = N_("{products} is on and up to date, but precheck cannot tell whether it is the "
                    "free or the paid edition. Article 5(6) of the terms asks for antivirus "
                    "equivalent to a paid edition (有償版相当): if it is the free edition, the "
                    "office may ask you to use the paid edition or Microsoft Defender")
EDITION_OPEN_SOURCE = N_("{products} is up to date, but it is free software that by default "
                         "scans only when asked, with no vendor behind it. Article 5(6) of the "
                         "terms asks for antivirus equivalent to a paid edition (有償版相当): the "
                         "office may ask you to use another computer or a smartphone")
EDITION_XPROTECT = N_("XProtect, the protection built into macOS, is up to date, but it only "
                      "checks apps for known malware and has no scan or status screen of its "
                      "own. Article 5(6) of the terms asks for antivirus equivalent to a paid "
                      "edition (有償版相当): the office may ask you to install an antivirus "
                      "product on this Mac")
EDITION_UNKNOWN = N_("{products} is on and up to date, but precheck does not know whether it "
                     "counts as equivalent to a paid antivirus (有償版相当, Article 5(6) of the "
                     "terms): the office may ask which product and edition it is")
EDITION_POLICY = N_("{products} is on and up to date, but the office's policy does not accept "
                    "this kind of antivirus ({kind})")
ASK_FREE = N_("Ask the office whether {products} is acceptable. If it is not, upgrade to its "
              "paid edition, or uninstall it (Settings > Apps > Installed apps) so that Microsoft "
              "Defender turns itself on again; then run precheck again.")
ASK_OPEN_SOURCE = N_("Ask the office whether ClamAV on Linux is acceptable. If it is not, use a "
                     "Windows PC or a Mac with an antivirus the office accepts, or a smartphone "
                     "(the terms allow one).")
ASK_XPROTECT = N_("Ask the office whether the protection built into macOS is enough. If it is "
                  "not, install a paid antivirus for Mac, then run precheck again.")
ASK_UNKNOWN = N_("Show the Hello Work staff the name and edition of {products} (in its About or "
                 "Help screen) and ask whether it is acceptable.")
ASK_POLICY = N_("Ask the office which antivirus it accepts, then run precheck again.")
CLAMAV_UPDATE = N_("Update the ClamAV signatures: run \"sudo freshclam\" (stop the updater first "
                   "with \"sudo systemctl stop clamav-freshclam\" if it says the log is locked), "
                   "then \"sudo systemctl enable --now clamav-freshclam\" so they stay current.")


class Antivirus(Check):
    """An antivirus is on, its signatures are up to date, and it counts as equivalent to a paid
    edition (Article 5(6): ウイルス対策ソフト（有償版相当に限ります。）がインストールされており、
    また最新のパターンファイルに更新されていること).

    Windows: a product registered in Security Center that is on with up-to-date signatures (a
    product registered twice counts once, and an "off" leftover of an uninstalled product does
    not matter when another is on), or Microsoft Defender in normal mode with real-time
    protection on and signatures younger than the policy limit. Defender in passive mode never
    counts as the protection. Windows Server has no Security Center: Defender alone decides.
    macOS: XProtect's signatures are younger than the policy limit. Linux: the ClamAV database is
    younger than the limit. A known third-party product that runs but whose signature date cannot
    be read gives a warning, never a pass.
    有償版相当: once protection is on and current, the protecting product's class in the policy's
    edition table decides (checks/editions.py): built-in and paid products pass; a free edition,
    a product whose edition cannot be told, ClamAV or XProtect alone, and an unknown product are
    named with a warning saying what the office may ask (each class's verdict is policy data).
    Off or stale protection fails whatever the edition.
    Fix: switch real-time protection on, update the signatures (Windows Security > Protection
    updates; Software Update on a Mac; freshclam on Linux), or install an antivirus.
    """

    id = "security.antivirus"
    article = "5(6)"
    required = True
    title = N_("Antivirus")
    timeout_s = 20.0

    def run(self, ctx: Context) -> Result:
        state = antivirus.antivirus(ctx.system)
        knobs = ctx.policy.section("security.antivirus")
        now = ctx.system.now()
        running = running_matches(software.process_names(ctx.system), signatures(knobs["products"]))
        platform = ctx.system.platform
        editions = EditionPolicy.from_policy(knobs)
        if platform is Platform.WINDOWS:
            return self._windows(state, knobs, now, running, editions)
        limit = knobs["xprotect_max_age_days" if platform is Platform.MACOS
                     else "max_signature_age_days"]
        return self._signatures(state, platform, limit, now, running, editions=editions)

    # -- 有償版相当: the protecting product's edition ----------------------------------------------

    def _protected(self, judged: list[Judged], evidence: dict[str, object], msgid: str,
                   **args: object) -> Result:
        """Protection is on and current: ``pass`` when the policy accepts the class of one of
        the protecting products, else the edition's verdict (a warning by default) naming them
        and saying what the office may ask."""
        evidence = {**evidence, "editions": [f"{j.product}: {j.cls}" for j in judged]}
        if any(j.verdict == "pass" for j in judged):
            return self.passed(msgid, evidence=evidence, **args)
        chosen = EditionPolicy.mildest(judged)
        groups: dict[str, list[str]] = {}  # XProtect alone has its own reason and steps
        for j in chosen:
            groups.setdefault(XPROTECT if j.product == XPROTECT else j.cls, []).append(j.product)
        keys = sorted(groups, key=lambda k: k == XPROTECT)  # a named product's reason first
        summary, _ = self._edition_words(keys[0], groups[keys[0]])
        fix = [step for key in keys for step in self._edition_words(key, groups[key])[1]]
        names = groups[keys[0]]
        extra: dict[str, object] = (
            {"kind": Message.of(CLASS_WORDS[keys[0]])} if summary == EDITION_POLICY else {})
        if chosen[0].verdict == "fail":
            return self.fail(summary, fix=fix, evidence=evidence, products=names, **extra)
        return self.warn(summary, fix=fix, evidence=evidence, products=names, **extra)

    @staticmethod
    def _edition_words(key: str, names: list[str]) -> tuple[str, list[str | Message]]:
        """The summary and the steps for products of one class (or XProtect) not accepted."""
        if key == XPROTECT:
            return EDITION_XPROTECT, [ASK_XPROTECT]
        if key in (FREE, EITHER):
            return (EDITION_FREE if key == FREE else EDITION_EITHER,
                    [Message.of(ASK_FREE, products=names)])
        if key == OPEN_SOURCE:
            return EDITION_OPEN_SOURCE, [ASK_OPEN_SOURCE]
        if key == UNKNOWN:
            return EDITION_UNKNOWN, [Message.of(ASK_UNKNOWN, products=names)]
        return EDITION_POLICY, [ASK_POLICY]

    # -- Windows -------------------------------------------------------------------------------

    def _windows(self, state: AntivirusState, knobs: Mapping[str, Any], now: datetime,
                 running: list[str], editions: EditionPolicy) -> Result:
        limit = int(knobs["max_signature_age_days"])
        registered = state.registered
        defender = state.defender
        evidence: dict[str, object] = {
            "security_center": None if registered is None else [
                f"{p.name}: {_describe(p.enabled, p.up_to_date, p.instances)}"
                for p in registered],
            "defender_mode": None if defender is None else defender.running_mode,
            "defender_real_time": None if defender is None else defender.real_time,
            "defender_signature_age_days": None if defender is None else defender.age_days(now),
            "unreadable": list(state.unreadable),
        }
        if running:
            evidence["running_products"] = running
        third = [p for p in registered or () if p.enabled and not p.builtin]
        current = [p.name for p in third if p.up_to_date]
        if current:
            judged = [editions.judge(name) for name in current]
            if all(j.verdict != "pass" for j in judged):  # Defender may protect as well
                if defender is not None and defender.protecting:
                    alongside = self._defender_on(defender, registered, now, limit, evidence,
                                                  editions=editions)
                    if alongside.status is Status.PASS:
                        return alongside
                elif defender is None and any(p.builtin and p.enabled and p.up_to_date
                                              for p in registered or ()):
                    alongside = self._protected(
                        [editions.judge(DEFENDER, BUILTIN)], evidence,
                        N_("Microsoft Defender is on and Windows Security says its signatures "
                           "are up to date"))
                    if alongside.status is Status.PASS:
                        return alongside
            return self._protected(judged, evidence,
                                   N_("{products} is on and its signatures are up to date"),
                                   products=current)
        if defender is not None and defender.protecting:
            return self._defender_on(defender, registered, now, limit, evidence,
                                     editions=editions)
        if third:  # on, but every one out of date
            names = [p.name for p in third]
            return self.fail(N_("{products} is on but its signatures are out of date"),
                             fix=[Message.of(THIRD_PARTY_UPDATE, products=names)],
                             evidence=evidence, products=names)
        return self._nothing_on(state, running, evidence, editions)

    def _defender_on(self, defender: Defender, registered: tuple[RegisteredProduct, ...] | None,
                     now: datetime, limit: int, evidence: dict[str, object], *,
                     editions: EditionPolicy) -> Result:
        age = defender.age_days(now)
        builtin = [editions.judge(DEFENDER, BUILTIN)]
        if age is None:
            ms_current = any(p.enabled and p.up_to_date for p in registered or () if p.builtin)
            if ms_current:
                return self._protected(builtin, evidence, N_(
                    "Microsoft Defender is on and Windows Security says its signatures are up "
                    "to date"))
            return self.warn(N_("Microsoft Defender is on, but the date of its signatures "
                                "could not be read"), evidence=evidence, fix=[DEFENDER_UPDATE])
        if age > limit:
            return self.fail(
                N_("Microsoft Defender's signatures are {days} days old (at most {limit} "
                   "allowed)"), fix=[DEFENDER_UPDATE], evidence=evidence, days=age, limit=limit)
        return self._protected(builtin, evidence,
                               N_("Microsoft Defender is on; its signatures are {days} days old"),
                               days=age)

    def _nothing_on(self, state: AntivirusState, running: list[str],
                    evidence: dict[str, object], editions: EditionPolicy) -> Result:
        """Neither a third-party product nor Defender is known to protect."""
        registered, defender = state.registered, state.defender
        if registered is None and defender is None:
            if running:
                return self._unverifiable(running, evidence)
            return self.error(N_("Could not read the antivirus status from Windows"),
                              fix=[RETRY, DEFENDER_ON], evidence=evidence)
        if defender is None and registered is not None:
            ms_on = [p for p in registered if p.enabled and p.builtin]
            if ms_on and ms_on[0].up_to_date:
                return self._protected([editions.judge(DEFENDER, BUILTIN)], evidence, N_(
                    "Microsoft Defender is on and Windows Security says its signatures are up "
                    "to date"))
            if ms_on:
                return self.fail(N_("Microsoft Defender is on but its signatures are out of "
                                    "date"), fix=[DEFENDER_UPDATE], evidence=evidence)
        if running:
            return self._unverifiable(running, evidence)
        unknown = [p.name for p in registered or () if p.state is None]
        if unknown:  # no readable state: on or off cannot be told, never "off"
            return self.error(N_("Could not tell whether {products} is on: Windows Security "
                                 "gives no state for it"), fix=[RETRY, DEFENDER_ON],
                              evidence=evidence, products=unknown)
        off = [p.name for p in registered or () if not p.enabled and not p.builtin]
        if defender is not None and defender.passive:
            fix: list[str | Message] = [DEFENDER_ON]
            if off:
                fix.append(Message.of(LEFTOVER, products=off))
            return self.fail(N_("Microsoft Defender is in passive mode ({mode}) and no other "
                                "antivirus is on"), fix=fix, evidence=evidence,
                             mode=defender.running_mode)
        if off:
            return self.fail(N_("No antivirus is on: {products} is registered but off"),
                             fix=[DEFENDER_ON, Message.of(LEFTOVER, products=off)],
                             evidence=evidence, products=off)
        return self.fail(N_("No antivirus is on"), fix=[DEFENDER_ON], evidence=evidence)

    def _unverifiable(self, running: list[str], evidence: dict[str, object]) -> Result:
        return self.warn(
            N_("{products} is running, but precheck cannot read whether its signatures are up "
               "to date"), evidence=evidence, products=running,
            fix=[Message.of(THIRD_PARTY_UPDATE, products=running),
                 N_("Show the Hello Work staff the product's status screen with the date of its "
                    "last update.")])

    # -- macOS and Linux -------------------------------------------------------------------------

    def _signatures(self, state: AntivirusState, platform: Platform, limit: int, now: datetime,
                    running: list[str], *, editions: EditionPolicy) -> Result:
        dated = [s for s in state.signatures if s.updated is not None]
        newest: SignatureSet | None = max(dated, key=lambda s: s.updated or now, default=None)
        update = XPROTECT_UPDATE if platform is Platform.MACOS else CLAMAV_UPDATE
        evidence: dict[str, object] = {
            "signatures": [f"{s.name} {s.version or ''} {s.path}: {s.age_days(now)} days".strip()
                           for s in state.signatures],
            "unreadable": list(state.unreadable),
        }
        if running:
            evidence["running_products"] = running
        if newest is not None:
            age = newest.age_days(now) or 0
            name = newest.name if newest.version is None else f"{newest.name} {newest.version}"
            if age <= limit:
                own = (editions.xprotect() if platform is Platform.MACOS
                       else editions.judge(newest.name))
                others = [editions.judge(r) for r in running if r != newest.name]
                return self._protected([own, *others], evidence,
                                       N_("{name} signatures are {days} days old"),
                                       name=name, days=age)
            if running and running != ["ClamAV"]:
                return self._unverifiable(running, evidence)
            return self.fail(N_("{name} signatures are {days} days old (at most {limit} "
                                "allowed)"), fix=[update], evidence=evidence, name=name,
                             days=age, limit=limit)
        if running:
            return self._unverifiable(running, evidence)
        if state.unreadable:
            return self.error(N_("Could not read the antivirus signatures ({sources})"),
                              fix=[RETRY, update], evidence=evidence,
                              sources=tuple(state.unreadable))
        if platform is Platform.MACOS:
            return self.error(N_("XProtect, the antivirus built into macOS, was not found"),
                              fix=[update, RETRY], evidence=evidence)
        return self.fail(N_("No antivirus found"), fix=[CLAMAV_INSTALL], evidence=evidence)


DEFENDER = "Microsoft Defender"


def _describe(enabled: bool, up_to_date: bool, instances: int) -> str:
    text = ("on" if enabled else "off") + (", up to date" if up_to_date else ", out of date")
    return text + (f" ({instances} entries)" if instances > 1 else "")
