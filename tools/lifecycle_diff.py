"""Compare precheck's OS support data with endoflife.date's, and print every difference.

    python tools/lifecycle_diff.py [--since-years 15] [--strict]

The endoflife.date data is the copy in ``tools/endoflife/releases.json`` (the ``releases`` of
each product's front matter in github.com/endoflife-date/endoflife.date, with the commit and the
day it was fetched); nothing is downloaded. To refresh the copy, fetch that repository and run
``python tools/lifecycle_diff.py --refresh PATH_TO_CLONE`` (needs PyYAML).

Each line says what differs and both values; a maintainer decides, with the vendor's page, which
one is right, and writes the decision into ``precheck/policy/data/lifecycle.toml``. Differences
that are decisions already (precheck's dates are the vendor's last day, endoflife.date sometimes
gives the day after, or the month; macOS dates follow precheck's "three newest" rule) are printed
too: the list is for reading, not for silencing. ``--strict`` exits 1 when a release of the last
``--since-years`` years is missing from precheck's data.
"""

from __future__ import annotations

import argparse
import json
import sys
import tomllib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SNAPSHOT = ROOT / "tools" / "endoflife" / "releases.json"
LIFECYCLE = ROOT / "precheck" / "policy" / "data" / "lifecycle.toml"
PRODUCTS = ("windows", "windows-server", "macos", "ubuntu", "debian", "centos", "centos-stream",
            "rhel", "rocky-linux", "almalinux", "amazon-linux", "opensuse", "linuxmint", "fedora")
#: endoflife.date product -> the os-release IDs precheck lists it under.
LINUX_IDS = {
    "ubuntu": ("ubuntu",), "debian": ("debian",), "centos": ("centos",),
    "centos-stream": ("centos",), "rhel": ("rhel",), "rocky-linux": ("rocky",),
    "almalinux": ("almalinux",), "amazon-linux": ("amzn",),
    "opensuse": ("opensuse-leap", "opensuse"), "linuxmint": ("linuxmint",),
}
#: endoflife.date's Windows cycle suffix -> precheck's servicing tracks.
WINDOWS_TRACKS = {"-iot-lts": ("iot_ltsc",), "-e-lts": ("ltsc",), "-e": ("enterprise_education",),
                  "-w": ("home_pro",), "-iot": ("iot_ltsc",)}


@dataclass(frozen=True, slots=True)
class Difference:
    kind: str  # "missing", "date", "extended", "minor", "unlisted"
    product: str
    release: str
    ours: str
    theirs: str
    released: str = ""

    def line(self) -> str:
        return (f"{self.kind:9} {self.product:14} {self.release:22} precheck: {self.ours:24} "
                f"endoflife.date: {self.theirs}")


def load() -> tuple[dict[str, Any], dict[str, Any]]:
    with LIFECYCLE.open("rb") as handle:
        data = tomllib.load(handle)["os"]["lifecycle"]
    return data, json.loads(SNAPSHOT.read_text("utf-8"))


def _day(value: object) -> str:
    return value if isinstance(value, str) else "—"


def _build(latest: object) -> int | None:
    """``10.0.26100`` -> 26100; ``6.1.7601`` -> 7601."""
    if not isinstance(latest, str):
        return None
    tail = latest.rsplit(".", 1)[-1]
    return int(tail) if tail.isdigit() else None


def _windows_tracks(cycle: str) -> tuple[str, ...]:
    for suffix, tracks in WINDOWS_TRACKS.items():
        if cycle.endswith(suffix):
            return tracks
    return ("home_pro", "enterprise_education")


def windows(data: Mapping[str, Any], releases: list[dict[str, Any]],
            product: str) -> Iterator[Difference]:
    rows = data["windows"]
    for release in releases:
        build = _build(release.get("latest"))
        label = str(release.get("releaseLabel") or release["releaseCycle"])
        if build is None:
            continue
        tracks = ("server",) if product == "windows-server" else _windows_tracks(
            str(release["releaseCycle"]))
        for track in tracks:
            ours = next((r for r in rows if r["build"] == build
                         and r["track"] in (track, "any")), None)
            if ours is None:
                yield Difference("missing", product, f"{label} [{track}]", "—",
                                 f"build {build}, eol {_day(release.get('eol'))}",
                                 _day(release.get("releaseDate")))
                continue
            if ours["end"] != release.get("eol"):
                yield Difference("date", product, f"{label} [{track}]", ours["end"],
                                 _day(release.get("eol")))
            if release.get("eoes") and ours.get("extended_end") != release.get("eoes"):
                yield Difference("extended", product, f"{label} [{track}]",
                                 _day(ours.get("extended_end")), _day(release.get("eoes")))


def newest(data: Mapping[str, Any], releases: list[dict[str, Any]],
           product: str) -> Iterator[Difference]:
    rule = next(r for r in data["newest"] if r["id"] == product)
    ended: dict[str, str] = rule.get("ended", {})
    for release in releases:
        cycle = str(release["releaseCycle"])
        eol = release.get("eol")
        if cycle not in rule["versions"]:
            yield Difference("missing", product, cycle, "—", f"eol {_day(eol)}",
                             _day(release.get("releaseDate")))
        elif isinstance(eol, str) and ended.get(cycle) != eol:
            yield Difference("date", product, cycle, ended.get(cycle, "(supported by the rule)"),
                             eol)
        elif eol is False and cycle in ended:
            yield Difference("date", product, cycle, ended[cycle], "still supported")


def linux(data: Mapping[str, Any], releases: list[dict[str, Any]],
          product: str) -> Iterator[Difference]:
    ids = LINUX_IDS[product]
    stream = product == "centos-stream"
    for release in releases:
        cycle = str(release["releaseCycle"])
        if not cycle[:1].isdigit():
            continue  # LMDE: not an Ubuntu-based Mint (os-release says ID=linuxmint too)
        rows = [r for r in data["linux"] if r["id"] in ids and "version" in r
                and (cycle == r["version"] or cycle.startswith(r["version"] + "."))
                and (("Stream" in r.get("name_contains", "")) == stream
                     or product not in ("centos", "centos-stream"))]
        if not rows:
            yield Difference("missing", product, cycle, "—", f"eol {_day(release.get('eol'))}",
                             _day(release.get("releaseDate")))
            continue
        ours = rows[0]
        if ours["end"] != release.get("eol"):
            yield Difference("date", product, cycle, ours["end"], _day(release.get("eol")))
        if release.get("eoes") and ours.get("extended_end") != release.get("eoes"):
            yield Difference("extended", product, cycle, _day(ours.get("extended_end")),
                             _day(release.get("eoes")))
        current = ours.get("minor_current")
        if current and release.get("latest") and current != release["latest"]:
            yield Difference("minor", product, cycle, current, str(release["latest"]))


def differences(data: Mapping[str, Any], snapshot: Mapping[str, Any]) -> list[Difference]:
    found: list[Difference] = []
    for product in PRODUCTS:
        releases = snapshot["products"][product]
        if product.startswith("windows"):
            found.extend(windows(data, releases, product))
        elif product in ("macos", "fedora"):
            found.extend(newest(data, releases, product))
        else:
            found.extend(linux(data, releases, product))
    return found


def missing_recent(found: list[Difference], today: date, years: int) -> list[Difference]:
    """Releases endoflife.date lists from the last ``years`` years that precheck's data lacks."""
    since = (today - timedelta(days=365 * years)).isoformat()
    return [d for d in found if d.kind == "missing" and d.released >= since]


def refresh(clone: Path) -> None:  # pragma: no cover - a maintainer's step, needs PyYAML
    import subprocess

    import yaml  # type: ignore[import-untyped]

    def text(*argv: str) -> str:
        return subprocess.run(["git", "-C", str(clone), *argv], check=True,
                              capture_output=True, text=True).stdout

    commit, committed = text("log", "-1", "--format=%H %cI").split()
    products: dict[str, list[dict[str, Any]]] = {}
    keep = ("releaseCycle", "releaseLabel", "codename", "releaseDate", "eoas", "eol", "eoes",
            "lts", "latest", "extendedSupport", "support")
    for product in PRODUCTS:
        front = text("show", f"HEAD:products/{product}.md").split("---", 2)[1]
        products[product] = [
            {k: (v.isoformat() if isinstance(v, date) else v) for k, v in r.items() if k in keep}
            for r in yaml.safe_load(front)["releases"]]
    SNAPSHOT.write_text(json.dumps({
        "source": "https://github.com/endoflife-date/endoflife.date (products/*.md front "
                  "matter, 'releases')",
        "commit": commit, "commit_date": committed, "fetched": datetime.now(UTC).date().isoformat(),
        "products": products}, indent=1, ensure_ascii=False) + "\n", "utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--since-years", type=int, default=15)
    parser.add_argument("--strict", action="store_true")
    parser.add_argument("--refresh", type=Path, metavar="CLONE")
    args = parser.parse_args(argv)
    if args.refresh:
        refresh(args.refresh)
    data, snapshot = load()
    found = differences(data, snapshot)
    print(f"endoflife.date copy: commit {snapshot['commit'][:12]} of {snapshot['commit_date']}, "
          f"fetched {snapshot['fetched']}; precheck data reviewed {data['reviewed']}")
    for difference in found:
        print(difference.line())
    recent = missing_recent(found, datetime.now(UTC).date(), args.since_years)
    print(f"{len(found)} differences; {len(recent)} releases of the last {args.since_years} "
          "years missing from precheck's data")
    return 1 if args.strict and recent else 0


if __name__ == "__main__":
    sys.exit(main())
