"""apt's pending security updates read from its own files, without running apt-get.

``apt-get -s dist-upgrade`` loads every package list to plan a whole upgrade; on a machine
without apt's binary cache (containers, or a cache older than the lists) it builds that cache
first, which takes 2 s of processor time, and 20 s or more on a busy computer. The question
os.patches asks is narrower: is a newer version of an installed package published in a
``*-security`` suite? That needs only two files:

* ``/var/lib/dpkg/status``: the installed packages and versions (``Status: install ok installed``);
* the ``*-security`` suites' ``Packages`` lists in ``/var/lib/apt/lists`` (decompressed, whatever
  their compression, by apt's own ``apt-helper cat-file``).

An installed package has a pending security update when a security list holds the same package
(same architecture, or ``all``) with a higher version, compared by Debian's rules
(:func:`compare_versions`, as ``dpkg --compare-versions``). Like the simulation, it reads the
lists of the last ``apt update``; unlike it, it does not count the other (non-security) updates,
so ``pending_other`` is unknown. When no security list is found (no security suite configured, or
lists apt could not read) the simulation answers instead.
"""

from __future__ import annotations

import re
import subprocess
from collections.abc import Iterator
from pathlib import Path

from precheck.errors import ProbeError
from precheck.system import JSON

PROBE = "apt-lists:pending-security"
DPKG_STATUS = Path("/var/lib/dpkg/status")
APT_LISTS = Path("/var/lib/apt/lists")
APT_HELPER = "/usr/lib/apt/apt-helper"
_SECURITY_LIST = re.compile(r"_dists_[^_]*-security_.*_Packages(\.[a-z0-9]+)?$")


def _order(char: str) -> int:
    """dpkg's weight of one character of a version's non-digit part."""
    if char == "~":
        return -1
    if char.isalpha():
        return ord(char)
    return ord(char) + 256


def _compare_part(left: str, right: str) -> int:
    """Compare an upstream version or Debian revision the way dpkg's ``verrevcmp`` does."""
    i = j = 0
    while i < len(left) or j < len(right):
        first_diff = 0
        while (i < len(left) and not left[i].isdigit()) or (j < len(right)
                                                             and not right[j].isdigit()):
            a = _order(left[i]) if i < len(left) and not left[i].isdigit() else 0
            b = _order(right[j]) if j < len(right) and not right[j].isdigit() else 0
            if a != b:
                return -1 if a < b else 1
            i += 1
            j += 1
        while i < len(left) and left[i] == "0":
            i += 1
        while j < len(right) and right[j] == "0":
            j += 1
        while i < len(left) and left[i].isdigit() and j < len(right) and right[j].isdigit():
            if not first_diff:
                first_diff = ord(left[i]) - ord(right[j])
            i += 1
            j += 1
        if i < len(left) and left[i].isdigit():
            return 1
        if j < len(right) and right[j].isdigit():
            return -1
        if first_diff:
            return -1 if first_diff < 0 else 1
    return 0


def _split(version: str) -> tuple[int, str, str]:
    epoch, colon, rest = version.partition(":")
    if not colon:
        epoch, rest = "0", version
    upstream, dash, revision = rest.rpartition("-")
    if not dash:
        upstream, revision = rest, ""
    return int(epoch) if epoch.isdigit() else 0, upstream, revision


def compare_versions(left: str, right: str) -> int:
    """-1, 0 or 1 as Debian version ``left`` is lower than, equal to or higher than ``right``."""
    a, b = _split(left), _split(right)
    if a[0] != b[0]:
        return -1 if a[0] < b[0] else 1
    return _compare_part(a[1], b[1]) or _compare_part(a[2], b[2])


def paragraphs(text: str) -> Iterator[dict[str, str]]:
    """The fields of each paragraph of a dpkg status or Packages file (first lines only)."""
    fields: dict[str, str] = {}
    for line in text.splitlines():
        if not line.strip():
            if fields:
                yield fields
            fields = {}
        elif not line[0].isspace():
            name, _, value = line.partition(":")
            fields[name] = value.strip()
    if fields:
        yield fields


def installed(status: str) -> dict[tuple[str, str], str]:
    """(package, architecture) -> installed version, from dpkg's status file."""
    found: dict[tuple[str, str], str] = {}
    for fields in paragraphs(status):
        if fields.get("Status", "").endswith(" installed") and "Version" in fields:
            found[(fields.get("Package", ""), fields.get("Architecture", ""))] = fields["Version"]
    return found


def pending_security(status: str, lists: list[str]) -> list[str]:
    """Installed packages (sorted, each once) a security list offers a higher version of."""
    have = installed(status)
    pending: set[str] = set()
    for text in lists:
        for fields in paragraphs(text):
            key = (fields.get("Package", ""), fields.get("Architecture", ""))
            version = have.get(key)
            if version is not None and compare_versions(fields.get("Version", ""), version) > 0:
                pending.add(key[0])
    return sorted(pending)


def _cat(path: Path) -> str:
    if path.name.endswith("_Packages"):  # kept uncompressed (apt's default)
        return path.read_text(encoding="utf-8", errors="replace")
    done = subprocess.run([APT_HELPER, "cat-file", str(path)], capture_output=True, check=False,
                          timeout=30)
    if done.returncode != 0:
        raise ProbeError(PROBE, "error", f"apt-helper could not read {path.name}")
    return done.stdout.decode("utf-8", errors="replace")


def read_pending_security() -> JSON:
    """The probe: the security lists read and the installed packages with a pending update.

    Only the names of packages with a pending security update leave this function (as the
    simulation's output names them), never the list of installed software.
    """
    try:
        lists = sorted(p for p in APT_LISTS.iterdir() if _SECURITY_LIST.search(p.name))
        status = DPKG_STATUS.read_text(encoding="utf-8", errors="replace")
    except OSError as exc:
        raise ProbeError(PROBE, "missing", str(exc.strerror or exc)) from exc
    if not lists:
        raise ProbeError(PROBE, "missing", "no security suite's package list")
    try:
        texts = [_cat(path) for path in lists]
    except (OSError, subprocess.SubprocessError) as exc:
        raise ProbeError(PROBE, "error", str(exc)) from exc
    return {"lists": [p.name for p in lists], "pending_security": pending_security(status, texts)}
