"""OS support: the operating-system release is inside its vendor's support period (Article 5(3))."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date
from typing import Any, Literal

from precheck import probes
from precheck.api import Check, Context, Message, Platform, Result
from precheck.probes import OsInfo
from precheck.result import N_

#: How a release past its regular end is covered: by nothing, by a programme every machine gets
#: ("free": Debian LTS), or by an enrolment programme that precheck saw working ("enrolled") or
#: could not confirm ("unverified").
Coverage = Literal["none", "free", "enrolled", "unverified"]


@dataclass(frozen=True, slots=True)
class Release:
    """What the policy data says about the release this machine runs."""

    name: str
    end: date | None  # last day of regular support; None: a rolling release
    extended_name: str | None = None
    extended_end: date | None = None
    coverage: Coverage = "none"
    newest_rule: bool = False  # judged by "the N newest versions" (macOS, Fedora)
    stale: bool = False  # newest rule: the data may miss a newer version; cannot vouch
    outdated: bool = False  # newest rule: older than the supported versions
    minor_current: str | None = None  # enterprise Linux: the newest minor, when this one is older


@dataclass(frozen=True, slots=True)
class Unknown:
    """The data does not know this release; ``why`` is a message id saying what is missing."""

    why: str
    what: str


def _day(text: str) -> date:
    return date.fromisoformat(text)


def _version_matches(version: str, wanted: str) -> bool:
    return version == wanted or version.startswith(wanted + ".")


def find_release(info: OsInfo, lifecycle: Mapping[str, Any], today: date) -> Release | Unknown:
    """The policy's entry for this OS release (pure: the data and the facts only)."""
    for rule in lifecycle["newest"]:
        if rule["id"] == info.id:
            return _newest(info, rule, today)
    if info.family is Platform.WINDOWS:
        return _windows(info, lifecycle, today)
    for entry in lifecycle["linux"]:
        if entry["id"] != info.id:
            continue
        if entry.get("name_contains") and entry["name_contains"] not in info.name:
            continue  # CentOS Linux and CentOS Stream share ID and VERSION_ID
        if entry.get("rolling"):
            return Release(entry["name"], None)
        if _version_matches(info.version, entry["version"]):
            found = _dated(entry["name"], entry, revision=None)
            current = entry.get("minor_current")
            if current and "." in info.version and _older_than_all(info.version, current):
                return replace(found, name=f"{entry['name']} ({info.version})",
                               minor_current=current)
            return found
    return Unknown(N_("precheck's support data does not list {os}"),
                   f"{info.name} {info.version}".strip())


def _dated(name: str, entry: Mapping[str, Any], revision: int | None) -> Release:
    kind = entry.get("extended")
    coverage: Coverage = "none"
    if kind == "free":
        coverage = "free"
    elif kind == "unverified":
        marker = entry.get("extended_from_revision")
        seen = marker is not None and revision is not None and revision >= marker
        coverage = "enrolled" if seen else "unverified"
    return Release(
        name, _day(entry["end"]), entry.get("extended_name"),
        _day(entry["extended_end"]) if "extended_end" in entry else None, coverage)


def _windows(info: OsInfo, lifecycle: Mapping[str, Any], today: date) -> Release | Unknown:
    build, _, ubr = (info.build or "").partition(".")
    label = f"{info.name} {info.version}".strip()
    if not build.isdigit():
        return Unknown(N_("Windows did not report its build number ({os})"), label)
    revision = int(ubr) if ubr.isdigit() else None
    same_build = [e for e in lifecycle["windows"] if e["build"] == int(build)]
    released = [e for e in same_build if "released" not in e or _day(e["released"]) <= today]
    if same_build and not released:
        # An Insider Preview build that carries a future release's number (docs/checks.md).
        return Unknown(N_("{os} is a preview build of a Windows version that is not released "
                          "yet"), f"{label} (build {build})")
    track = lifecycle["windows_editions"].get(info.edition or "")
    if track is None:
        return _any_edition(released, label, today, revision) or Unknown(
            N_("precheck's support data does not know the Windows edition {os}"),
            f"{label} ({info.edition or '?'})")
    for entry in released:
        if entry["track"] in (track, "any"):
            return _dated(entry["name"], entry, revision)
    return Unknown(N_("precheck's support data does not list {os}"),
                   f"{label} (build {build})")


def _any_edition(entries: Sequence[Mapping[str, Any]], label: str, today: date,
                 revision: int | None) -> Release | None:
    """An edition the data does not know: the build is judged only when every edition of it
    has ended, as the OS names itself and by the latest of their dates; else None."""
    def last(entry: Mapping[str, Any]) -> date:
        return _day(entry.get("extended_end", entry["end"]))

    if not entries or any(last(e) >= today for e in entries):
        return None
    return Release(label, last(max(entries, key=last)))


def _newest(info: OsInfo, rule: Mapping[str, Any], today: date) -> Release | Unknown:
    versions: Sequence[str] = rule["versions"]
    position = next((i for i, v in enumerate(versions) if _version_matches(info.version, v)),
                    None)
    name = f"{rule['label']} {info.version}".strip()
    if position is None:
        if not info.version[:1].isdigit():  # no version number: never "older than all"
            return Unknown(N_("precheck's support data does not list {os}"), name)
        if _older_than_all(info.version, versions[-1]):
            return Release(name, None, newest_rule=True, outdated=True)
        return Unknown(N_("precheck's support data does not list {os}"), name)
    valid_until = _day(rule["valid_until"])
    newest = int(rule["newest"])
    if position >= newest:
        ended = rule.get("ended", {}).get(versions[position])
        return Release(name, _day(ended) if ended else None, newest_rule=True, outdated=True)
    # Each year past valid_until may have brought a newer version that the list does not have.
    missing = 0 if today <= valid_until else 1 + (today - valid_until).days // 365
    stale = position >= newest - missing
    # The oldest supported version loses support when the next version comes out.
    end = valid_until if position == newest - 1 else None
    return Release(name, end, newest_rule=True, stale=stale)


def _older_than_all(version: str, oldest: str) -> bool:
    def key(text: str) -> tuple[int, ...]:
        parts = [p for p in text.split(".") if p.isdigit()]
        return tuple(int(p) for p in parts) or (0,)

    return key(version) < key(oldest)


UPGRADE = {
    Platform.WINDOWS: (
        N_("Open Start > Settings > Windows Update, click \"Check for updates\" and install the "
           "offered Windows version (feature update), then restart and check again."),
        N_("On Windows 10, upgrade to Windows 11 if this PC can run it: Settings > Update & "
           "Security > Windows Update > \"Upgrade to Windows 11\" (Microsoft's PC Health Check "
           "app tells whether the PC is eligible)."),
    ),
    Platform.MACOS: (
        N_("Open the Apple menu > System Settings > General > Software Update and install the "
           "newest macOS offered (on macOS 12 and earlier: System Preferences > Software "
           "Update). If this Mac cannot install a supported macOS, use another computer for the "
           "consultation."),
    ),
    Platform.LINUX: (
        N_("Upgrade to a supported release of your distribution (Ubuntu and Linux Mint: the "
           "Update Manager offers it; Debian: follow the release notes' upgrade chapter; "
           "Fedora: \"sudo dnf system-upgrade\"), or use another computer for the consultation."),
    ),
}

ENROL = {
    "Windows 10 Extended Security Updates (ESU)": N_(
        "Or enrol this PC in Windows 10 Extended Security Updates: Settings > Update & Security "
        "> Windows Update > \"Enroll now\", then click \"Check for updates\", install the "
        "security updates, restart and check again (precheck recognises enrolment from the "
        "installed ESU updates)."),
}


class OsSupport(Check):
    """The operating system release is still inside its vendor's support period today
    (Article 5(3): OSはメーカーのサポート期間内であること).

    The release is found from the facts the OS reports (Windows: build number and EditionID
    from the registry; macOS: sw_vers; Linux: /etc/os-release) and judged against
    ``[os.lifecycle]`` policy data: dated releases (Windows, Debian, Ubuntu, RHEL and its
    rebuilds, Linux Mint, openSUSE Leap), "the N newest versions" (macOS: 3, Apple publishes no
    dates; Fedora: 2) and rolling releases (openSUSE Tumbleweed, Arch: supported while updated,
    which os.patches judges). Within ``warn_days`` of the end: warn. Past the end: fail, unless
    an extended programme covers it (Debian LTS: warn; Windows 10 ESU: warn when the installed
    build shows ESU updates, else fail with how to enrol). A release the data does not know is
    an error, never a pass.
    Fix: install the newest version offered by the system's updater (Windows feature update,
    macOS upgrade, distribution upgrade), enrol in ESU, or use a supported computer.
    """

    id = "os.support"
    article = "5(3)"
    required = True
    title = N_("Operating system support")
    timeout_s = 10.0

    def run(self, ctx: Context) -> Result:
        info = probes.os_info(ctx.system)
        today = ctx.system.now().date()
        knobs = ctx.policy.section("os.support")
        lifecycle = ctx.policy.section("os.lifecycle")
        platform = ctx.system.platform
        found = find_release(info, lifecycle, today)
        evidence: dict[str, object] = {
            "os": info.name, "version": info.version, "build": info.build,
            "edition": info.edition, "today": today.isoformat(),
            "data_reviewed": lifecycle["reviewed"],
        }
        if isinstance(found, Unknown):
            return self.error(
                found.why, os=found.what, evidence=evidence,
                fix=[N_("Update precheck (its support data may be older than this system), then "
                        "check again; if this system is new or unusual, ask the Hello Work staff "
                        "whether it is accepted."), *UPGRADE[platform]])
        evidence["release"] = found.name
        evidence["end"] = None if found.end is None else _iso(found.end)
        if found.minor_current is not None:
            evidence["minor_current"] = found.minor_current
            return self.fail(
                N_("{os} is an older minor release: only {current} gets security updates now"),
                fix=[N_("Install the current minor release: run \"sudo dnf upgrade --refresh\" "
                        "in a terminal, restart and check again (on Red Hat Enterprise Linux "
                        "with Extended Update Support, ask the Hello Work staff whether it is "
                        "accepted)."), *UPGRADE[platform]],
                evidence=evidence, os=found.name, current=found.minor_current)
        if found.end is None and not found.newest_rule:
            return self.passed(
                N_("{os} is a rolling release: it stays supported while its updates are "
                   "installed (the security updates check judges that)"),
                evidence=evidence, os=found.name)
        if found.newest_rule:
            return self._newest(found, today, knobs, evidence=evidence, platform=platform,
                                lifecycle=lifecycle)
        assert found.end is not None  # noqa: S101 - dated releases always have an end
        return self._dated(found, found.end, today, knobs, evidence=evidence,
                           platform=platform)

    def _newest(self, found: Release, today: date, knobs: Mapping[str, Any], *,
                evidence: dict[str, object], platform: Platform,
                lifecycle: Mapping[str, Any]) -> Result:
        if found.outdated and found.end is not None:
            return self.fail(
                N_("{os} reached the end of its support on {end}: it no longer gets security "
                   "updates"), fix=UPGRADE[platform], evidence=evidence, os=found.name,
                end=_iso(found.end))
        if found.outdated:
            return self.fail(
                N_("{os} no longer gets security updates: only the newest versions do"),
                fix=UPGRADE[platform], evidence=evidence, os=found.name)
        if found.stale:
            return self.error(
                N_("Could not tell whether {os} still gets security updates: precheck's "
                   "support data (reviewed {reviewed}) may not know the newest version"),
                fix=[N_("Update precheck, then check again."), *UPGRADE[platform]],
                evidence=evidence, os=found.name, reviewed=lifecycle["reviewed"])
        if found.end is not None and (found.end - today).days <= knobs["warn_days"]:
            return self.warn(
                N_("{os} is among the oldest versions that still get security updates and "
                   "will lose them when the next version comes out (expected after {end})"),
                fix=UPGRADE[platform], evidence=evidence, os=found.name, end=_iso(found.end))
        return self.passed(N_("{os} gets security updates"), evidence=evidence, os=found.name)

    def _dated(self, found: Release, end: date, today: date, knobs: Mapping[str, Any], *,
               evidence: dict[str, object], platform: Platform) -> Result:
        warn_days = int(knobs["warn_days"])
        if today <= end:
            days = (end - today).days
            if days <= warn_days:
                return self.warn(
                    N_("{os} stops getting security updates on {end} ({days} days left)"),
                    fix=UPGRADE[platform], evidence=evidence, os=found.name, end=_iso(end),
                    days=days)
            return self.passed(N_("{os} gets security updates until {end}"),
                               evidence=evidence, os=found.name, end=_iso(end))
        extended_end = found.extended_end
        if found.coverage == "none" or extended_end is None or today > extended_end:
            return self.fail(
                N_("{os} reached the end of its support on {end}: it no longer gets security "
                   "updates"),
                fix=UPGRADE[platform], evidence=evidence, os=found.name,
                end=_iso(extended_end if extended_end and today > extended_end else end))
        evidence["extended"] = found.extended_name
        evidence["extended_end"] = _iso(extended_end)
        evidence["coverage"] = found.coverage
        verdict = knobs[f"extended_{found.coverage}"]
        args: dict[str, object] = {"os": found.name, "end": _iso(end),
                                   "program": found.extended_name,
                                   "extended_end": _iso(extended_end)}
        fix: list[str | Message] = list(UPGRADE[platform])
        enrol = ENROL.get(found.extended_name or "")
        if found.coverage == "unverified":
            if enrol:
                fix.append(enrol)
            msgid = N_("{os} reached the end of its regular support on {end}; precheck cannot "
                       "see that this computer is enrolled in {program} (until {extended_end})")
        else:
            msgid = N_("{os} ended regular support on {end} and now gets security updates only "
                       "through {program}, until {extended_end}")
        days_left = (extended_end - today).days
        if verdict == "pass" and days_left <= warn_days:
            verdict = "warn"
        if verdict == "pass":
            return self.passed(msgid, evidence=evidence, **args)
        if verdict == "warn":
            return self.warn(msgid, fix=fix, evidence=evidence, **args)
        return self.fail(msgid, fix=fix, evidence=evidence, **args)


def _iso(day: date) -> str:
    return day.isoformat()
