"""Diagnostic bundles: every probe answer of one run, written for a staff member to replay.

A bundle is a zip file (or a plain directory with the same content) holding ``manifest.json`` and
the longer text answers under ``outputs/``. ``docs/bundle-format.md`` specifies it precisely
enough to hand-write one from command outputs captured on another machine.

A bundle holds raw answers (a computer's name can appear in them), so it leaves the machine only
when the user chooses to send it. Reports never contain it.
"""

from __future__ import annotations

import hashlib
import json
import re
import zipfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import Any

from precheck import __version__
from precheck.errors import InputError
from precheck.system import JSON, Platform, Record

FORMAT = "precheck-bundle"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
MAX_MANIFEST_BYTES = 32 * 1024 * 1024
MAX_MEMBER_BYTES = 64 * 1024 * 1024
MAX_TOTAL_BYTES = 256 * 1024 * 1024
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

def write(path: Path, platform: Platform, records: Iterable[Record], *,
          checks: Iterable[str], policy: Mapping[str, Any]) -> Path:
    """Write a bundle as a zip file, or as a directory when ``path`` is an existing directory.

    Long text answers go to ``outputs/NNNN-<name>.txt`` so a person can read them as they were
    printed; everything else stays inline in the manifest.
    """
    files: dict[str, str] = {}
    probes: list[dict[str, JSON]] = []
    for number, record in enumerate(records, start=1):
        entry = _entry(record)
        value = record.value
        stem = f"outputs/{number:04d}-{_SLUG.sub('_', record.name)[:60].strip('_')}"
        if record.error_kind is None and isinstance(value, str) and value:
            files[f"{stem}.txt"] = value
            entry = {"name": record.name, "value_file": f"{stem}.txt"}
        elif record.error_kind is None and isinstance(value, dict):
            inline = dict(value)
            for stream in ("stdout", "stderr"):
                text = inline.get(stream)
                if isinstance(text, str) and text:
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

class _Source:
    """Reads members of a zip bundle or a directory bundle, within size limits."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.zip: zipfile.ZipFile | None = None
        self.total = 0
        if path.is_dir():
            return
        try:
            self.zip = zipfile.ZipFile(path)
        except FileNotFoundError as exc:
            msg = f"bundle {path} does not exist"
            raise InputError(msg) from exc
        except (zipfile.BadZipFile, OSError) as exc:
            msg = f"bundle {path} is neither a zip file nor a directory"
            raise InputError(msg) from exc

    def read(self, member: str, limit: int = MAX_MEMBER_BYTES) -> bytes:
        pure = PurePosixPath(member)
        if pure.is_absolute() or ".." in pure.parts or "\\" in member or not member:
            msg = f"bundle {self.path}: member name {member!r} must be a relative path inside it"
            raise InputError(msg)
        try:
            if self.zip is not None:
                size = self.zip.getinfo(member).file_size
                self._account(member, size, limit)
                return self.zip.read(member)
            target = self.path.joinpath(*pure.parts)
            self._account(member, target.stat().st_size, limit)
            return target.read_bytes()
        except (KeyError, FileNotFoundError) as exc:
            msg = f"bundle {self.path} has no file {member}"
            raise InputError(msg) from exc
        except (zipfile.BadZipFile, OSError) as exc:
            msg = f"bundle {self.path}: cannot read {member} ({exc})"
            raise InputError(msg) from exc

    def _account(self, member: str, size: int, limit: int) -> None:
        self.total += size
        if size > limit or self.total > MAX_TOTAL_BYTES:
            msg = f"bundle {self.path}: {member} is too large ({size} bytes)"
            raise InputError(msg)

    def close(self) -> None:
        if self.zip is not None:
            self.zip.close()


def decode_text(data: bytes) -> str:
    """Text as a capture tool left it: UTF-8 (with or without BOM) or UTF-16 with a BOM.

    PowerShell 5's ``>`` writes UTF-16LE with a BOM, so hand-made bundles often hold that.
    """
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16")
    return data.decode("utf-8-sig")


def read(path: Path) -> Bundle:
    """Read and validate a bundle; every problem is an InputError saying what is wrong."""
    source = _Source(path)
    try:
        return _parse(path, source)
    finally:
        source.close()


def _parse(path: Path, source: _Source) -> Bundle:
    where = f"bundle {path}"
    try:
        manifest = json.loads(decode_text(source.read(MANIFEST, MAX_MANIFEST_BYTES)))
    except (UnicodeDecodeError, ValueError) as exc:
        msg = f"{where}: manifest.json is not valid JSON ({exc})"
        raise InputError(msg) from exc
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
    checks = manifest.get("checks", [])
    policy = manifest.get("policy", {})
    return Bundle(
        platform=platform,
        created=str(manifest.get("created", "")),
        tool_version=str(manifest.get("tool_version", "")),
        policy=policy if isinstance(policy, dict) else {},
        checks=tuple(str(c) for c in checks) if isinstance(checks, list) else (),
        records=records,
    )


def _record(where: str, entry: object, source: _Source) -> Record:
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


def _text(where: str, name: str, member: object, source: _Source) -> str:
    if not isinstance(member, str):
        msg = (f"{where} ({name}): value_file, stdout_file and stderr_file must be paths "
               "inside the bundle")
        raise InputError(msg)
    try:
        return decode_text(source.read(member))
    except UnicodeDecodeError as exc:
        msg = f"{where} ({name}): {member} is neither UTF-8 nor UTF-16 text"
        raise InputError(msg) from exc
