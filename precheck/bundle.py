"""Diagnostic bundles: every probe answer of one run, written for a staff member to replay.

A bundle is a zip file (or a plain directory with the same content) holding ``manifest.json`` and
the longer text answers under ``outputs/``. ``docs/bundle-format.md`` specifies it precisely
enough to hand-write one from command outputs captured on another machine.

A bundle holds raw answers (a computer's name can appear in them), so it leaves the machine only
when the user chooses to send it. Reports never contain it. Its files are read through
:mod:`precheck.bundle_source`, within the limits set here.
"""

from __future__ import annotations

import hashlib
import json
import re
import zipfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from precheck import __version__
from precheck.bundle_source import BundleSource, decode_text
from precheck.errors import InputError
from precheck.inputs import loads_strict
from precheck.system import JSON, Platform, Record

FORMAT = "precheck-bundle"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
#: Limits far above real bundles (this machine's whole bundle is 60 kB unpacked; a Windows PC's
#: list of installed programs is below 1 MiB) and low enough that reading never exhausts memory.
MAX_MANIFEST_BYTES = 16 * 1024 * 1024
MAX_MEMBER_BYTES = 16 * 1024 * 1024
MAX_TOTAL_BYTES = 64 * 1024 * 1024
_SLUG = re.compile(r"[^A-Za-z0-9._-]+")


@dataclass(frozen=True, slots=True)
class Bundle:
    """A read bundle: where its answers came from, and the answers."""

    platform: Platform
    created: str
    tool_version: str
    policy: Mapping[str, Any]
    checks: tuple[str, ...]
    records: Mapping[str, Record]
    device_id: str | None = None  # the collecting installation's pseudonym of the device

    @property
    def digest(self) -> str:
        """SHA-256 over the platform and the resolved answers: the same for a zip and a folder."""
        return digest_of(self.platform, self.records.values())


def digest_of(platform: Platform, records: Iterable[Record]) -> str:
    import rfc8785

    body: dict[str, Any] = {
        "platform": str(platform),
        "probes": sorted((_entry(r) for r in records), key=lambda e: str(e["name"])),
    }
    return "sha256:" + hashlib.sha256(rfc8785.dumps(body)).hexdigest()


def _entry(record: Record) -> dict[str, JSON]:
    if record.error_kind is not None:
        return {"name": record.name,
                "error": {"kind": record.error_kind, "message": record.error_message or ""}}
    return {"name": record.name, "value": record.value}


# -- writing ----------------------------------------------------------------------------------

#: The OS's own machine identifiers (:func:`precheck.probes.machine_id` on each OS). They are read
#: only to make the salted device id and never written to a bundle: the bundle carries that
#: pseudonym (``device_id``) instead, the same one as the job seeker's reports.
IDENTIFIER_PROBES = frozenset({
    "file:/etc/machine-id", "file:/var/lib/dbus/machine-id",           # Linux
    "reg:HKLM\\SOFTWARE\\Microsoft\\Cryptography",                      # Windows: MachineGuid
    "cmd:ioreg -rd1 -c IOPlatformExpertDevice",                       # macOS: IOPlatformUUID
})
#: Written in place of an IP address a bundle does not keep.
WITHHELD = "withheld"


def private(record: Record) -> Record | None:
    """The record as a bundle keeps it: None for a machine identifier; the computer's own IP
    addresses withheld where no check needs them (replays judge the same: the route's address
    matters only when it is an iPhone hotspot's, and a listening socket only by its port)."""
    from precheck.probes.firewall import LISTENING_PROBE
    from precheck.probes.network import ROUTE_PROBE, is_hotspot_address

    if record.name in IDENTIFIER_PROBES:
        return None
    value = record.value
    if record.error_kind is not None:
        return record
    if record.name == ROUTE_PROBE and isinstance(value, dict):
        address = value.get("address")
        if not is_hotspot_address(address if isinstance(address, str) else None):
            return Record(record.name, value={**value, "address": None})
    if record.name == LISTENING_PROBE and isinstance(value, list):
        return Record(record.name, value=[
            {**item, "address": _listening_address(item.get("address"))}
            if isinstance(item, dict) else item for item in value])
    return record


def _listening_address(address: object) -> JSON:
    import ipaddress

    try:
        ip = ipaddress.ip_address(str(address).split("%", 1)[0])
    except ValueError:
        return WITHHELD
    return str(address) if ip.is_loopback or ip.is_unspecified else WITHHELD


def write(path: Path, platform: Platform, records: Iterable[Record], *,
          checks: Iterable[str], policy: Mapping[str, Any], device_id: str | None = None) -> Path:
    """Write a bundle as a zip file, or as a folder bundle when ``path`` is an existing empty
    folder (never among other files: a desktop would get ``manifest.json`` and ``outputs/``
    scattered over it).

    Long text answers go to ``outputs/NNNN-<name>.txt`` so a person can read them as they were
    printed; everything else stays inline in the manifest. What :func:`private` holds back is
    not written.
    """
    if path.is_dir() and any(path.iterdir()):
        msg = (f"the folder {path} is not empty: give a new .zip file name, or an empty folder, "
               "for the bundle")
        raise InputError(msg)
    files: dict[str, str] = {}
    probes: list[dict[str, JSON]] = []
    kept = [r for r in (private(record) for record in records) if r is not None]
    for number, record in enumerate(kept, start=1):
        entry = _entry(record)
        value = record.value
        stem = f"outputs/{number:04d}-{_SLUG.sub('_', record.name)[:60].strip('_')}"
        if record.error_kind is None and isinstance(value, str) and value and "\0" not in value:
            files[f"{stem}.txt"] = value
            entry = {"name": record.name, "value_file": f"{stem}.txt"}
        elif record.error_kind is None and isinstance(value, dict):
            inline = dict(value)
            for stream in ("stdout", "stderr"):
                text = inline.get(stream)
                if isinstance(text, str) and text and "\0" not in text:  # files hold text only
                    files[f"{stem}.{stream}.txt"] = text
                    del inline[stream]
                    inline[f"{stream}_file"] = f"{stem}.{stream}.txt"
            entry = {"name": record.name, "value": inline}
        probes.append(entry)
    manifest = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "created": datetime.now(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z"),
        "tool_version": __version__,
        "platform": str(platform),
        "policy": dict(policy),
        "checks": list(checks),
        **({"device_id": device_id} if device_id else {}),
        "probes": probes,
    }
    text = json.dumps(manifest, ensure_ascii=False, indent=2) + "\n"
    if path.is_dir():
        for name, content in {MANIFEST: text, **files}.items():
            target = path / name
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(content, encoding="utf-8", newline="")
        return path
    partial = path.with_name(path.name + ".partial")
    with zipfile.ZipFile(partial, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(MANIFEST, text)
        for name, content in files.items():
            archive.writestr(name, content)
    partial.replace(path)  # a bundle is either whole or absent
    return path


# -- reading ----------------------------------------------------------------------------------

def read(path: Path) -> Bundle:
    """Read and validate a bundle; every problem is an InputError saying what is wrong."""
    source = BundleSource(path, member_limit=MAX_MEMBER_BYTES, total_limit=MAX_TOTAL_BYTES)
    try:
        return _parse(path, source)
    finally:
        source.close()


def _parse(path: Path, source: BundleSource) -> Bundle:
    where = f"bundle {path}"
    try:
        text = decode_text(source.read(MANIFEST, MAX_MANIFEST_BYTES))
    except UnicodeDecodeError as exc:
        msg = f"{where}: manifest.json is neither UTF-8 nor UTF-16 text ({exc.reason})"
        raise InputError(msg) from None
    manifest = loads_strict(text, f"{where}: manifest.json")
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        msg = f"{where}: manifest.json does not say \"format\": \"{FORMAT}\""
        raise InputError(msg)
    if manifest.get("format_version") != FORMAT_VERSION:
        msg = (f"{where}: format_version {manifest.get('format_version')!r} is not supported "
               f"(this precheck reads version {FORMAT_VERSION})")
        raise InputError(msg)
    try:
        platform = Platform(str(manifest.get("platform")))
    except ValueError as exc:
        known = ", ".join(p.value for p in Platform)
        msg = f"{where}: platform {manifest.get('platform')!r} is not one of {known}"
        raise InputError(msg) from exc
    probes = manifest.get("probes")
    if not isinstance(probes, list):
        msg = f"{where}: \"probes\" must be a list"
        raise InputError(msg)
    records: dict[str, Record] = {}
    for index, entry in enumerate(probes):
        record = _record(f"{where}: probes[{index}]", entry, source)
        if record.name in records:
            msg = f"{where}: probes[{index}] repeats the probe {record.name!r}"
            raise InputError(msg)
        records[record.name] = record
    _check_times(where, manifest.get("created"), records.get("clock:now"))
    checks = manifest.get("checks", [])
    policy = manifest.get("policy", {})
    bundle = Bundle(
        platform=platform,
        created=str(manifest.get("created", "")),
        tool_version=str(manifest.get("tool_version", "")),
        policy=policy if isinstance(policy, dict) else {},
        checks=tuple(str(c) for c in checks) if isinstance(checks, list) else (),
        records=records,
        device_id=_device_id(where, manifest.get("device_id")),
    )
    try:
        bundle.digest  # noqa: B018 - computed now so a value JSON cannot carry exactly is refused here
    except ValueError as exc:  # rfc8785.CanonicalizationError: e.g. an integer beyond 2**53
        msg = f"{where}: an answer cannot be put in canonical JSON form ({exc})"
        raise InputError(msg) from None
    return bundle


def _device_id(where: str, value: object) -> str | None:
    from precheck.reports.model import DEVICE_ID_PATTERN

    if value is None:
        return None
    if not isinstance(value, str) or not re.match(DEVICE_ID_PATTERN, value):
        msg = f"{where}: \"device_id\" must look like d1- and 32 hex digits"
        raise InputError(msg)
    return value


def _check_times(where: str, created: object, clock: Record | None) -> None:
    """``created`` (optional) and the ``clock:now`` answer must be real moments with an offset:
    a replay judges ages against the clock, and a report made from the bundle carries it."""
    if created is not None and _moment(created) is None:
        msg = (f"{where}: \"created\" {str(created)[:40]!r} is not an RFC 3339 time with a real "
               "date and an offset (e.g. 2026-11-23T01:02:03Z)")
        raise InputError(msg)
    if clock is not None and clock.error_kind is None and _moment(clock.value) is None:
        msg = (f"{where}: the clock:now answer {str(clock.value)[:40]!r} is not an RFC 3339 "
               "time with a real date and an offset (e.g. 2026-11-20T10:15:00+09:00)")
        raise InputError(msg)


def _moment(value: object) -> datetime | None:
    if not isinstance(value, str) or not _RFC3339.match(value):
        return None
    try:
        moment = datetime.fromisoformat(value.replace("z", "Z"))
    except ValueError:  # 2026-02-30, 2026-11-31, 25:00 ...
        return None
    return moment if moment.utcoffset() is not None else None


#: RFC 3339 date-time (section 5.6), as Python's fromisoformat then reads it.
_RFC3339 = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt ][0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,9})?"
                      r"([Zz]|[+-][0-9]{2}:[0-9]{2})$")


def _record(where: str, entry: object, source: BundleSource) -> Record:
    if not isinstance(entry, dict) or not isinstance(entry.get("name"), str) or not entry["name"]:
        msg = f"{where} must be an object with a non-empty \"name\""
        raise InputError(msg)
    name = entry["name"]
    keys = {"value", "value_file", "error"} & entry.keys()
    if len(keys) != 1:
        msg = f"{where} ({name}) needs exactly one of \"value\", \"value_file\", \"error\""
        raise InputError(msg)
    if "error" in entry:
        error = entry["error"]
        if not isinstance(error, dict) or not isinstance(error.get("kind"), str):
            msg = f"{where} ({name}): \"error\" must be an object with a \"kind\""
            raise InputError(msg)
        return Record(name, error_kind=error["kind"], error_message=str(error.get("message", "")))
    if "value_file" in entry:
        return Record(name, value=_text(where, name, entry["value_file"], source))
    value = entry["value"]
    if isinstance(value, dict):
        value = dict(value)
        for stream in ("stdout", "stderr"):  # a command's output kept in its own file
            if f"{stream}_file" in value:
                value[stream] = _text(where, name, value.pop(f"{stream}_file"), source)
    return Record(name, value=value)


def _text(where: str, name: str, member: object, source: BundleSource) -> str:
    if not isinstance(member, str):
        msg = (f"{where} ({name}): value_file, stdout_file and stderr_file must be paths "
               "inside the bundle")
        raise InputError(msg)
    try:
        return decode_text(source.read(member))
    except UnicodeDecodeError as exc:
        msg = f"{where} ({name}): {member} is neither UTF-8 nor UTF-16 text"
        raise InputError(msg) from exc
