"""Hostile diagnostic bundles (issue 13): whatever a bundle holds, reading it ends quickly with
the bundle or one InputError line, and the CLI exits 2, never 3, never hangs.

Every bundle here is INVENTED: built by the test, in the shape the adversarial test of issue 13
used (links to /dev/zero and outside files, FIFOs, corrupt or foreign zips, deep JSON, UTF-16
without a byte-order mark, impossible dates).
"""

from __future__ import annotations

import io
import json
import os
import stat
import struct
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest

from precheck import bundle as bundles
from precheck import plugins, probes
from precheck import policy as policies
from precheck.cli import run_cli
from precheck.errors import InputError
from precheck.session import evaluate
from precheck.status import Environment, ExitStatus

pytestmark = pytest.mark.timeout(60)  # a hang is a failure, not a stuck run


@pytest.fixture(autouse=True, params=["by-descriptor", "by-lstat"])
def _walk(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """Folder members are opened folder by folder with O_NOFOLLOW on POSIX, and checked with
    lstat where that is missing (Windows): both ways are tested here."""
    from precheck import inputs

    if request.param == "by-descriptor" and not inputs._BY_DESCRIPTOR:
        pytest.skip("this OS has no O_NOFOLLOW | O_DIRECTORY with dir_fd")
    monkeypatch.setattr(inputs, "_BY_DESCRIPTOR", request.param == "by-descriptor")

OS_RELEASE = 'NAME="Debian GNU/Linux"\nID=debian\nVERSION_ID="12"\n'
GOOD: dict[str, object] = {
    "format": "precheck-bundle", "format_version": 1, "platform": "linux",
    "probes": [{"name": "clock:now", "value": "2026-11-20T10:15:00+09:00"},
               {"name": "platform:machine", "value": "x86_64"},
               {"name": "file:/etc/os-release", "value_file": "outputs/os-release.txt"}],
}


def folder_bundle(root: Path, member: Callable[[Path], object] | None = None) -> Path:
    """A folder bundle whose ``outputs/os-release.txt`` is made by ``member`` (a real file by
    default)."""
    (root / "outputs").mkdir(parents=True)
    (root / "manifest.json").write_text(json.dumps(GOOD), encoding="utf-8")
    target = root / "outputs" / "os-release.txt"
    if member is None:
        target.write_text(OS_RELEASE, encoding="utf-8")
    else:
        member(target)
    return root


def zip_bytes(manifest: bytes | None = None, member: bytes = OS_RELEASE.encode(),
              *, compression: int = zipfile.ZIP_DEFLATED) -> bytearray:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=compression) as archive:
        archive.writestr("manifest.json", json.dumps(GOOD) if manifest is None else manifest)
        archive.writestr("outputs/os-release.txt", member)
    return bytearray(buffer.getvalue())


def patch_headers(data: bytearray, *, method: int | None = None, flags: int | None = None,
                  version: int | None = None) -> bytearray:
    """Set the compression method, the flag bits or the version needed to extract in every
    local and central header."""
    for signature, version_at, flag_at, method_at in ((b"PK\x03\x04", 4, 6, 8),
                                                      (b"PK\x01\x02", 6, 8, 10)):
        at = data.find(signature)
        while at >= 0:
            if version is not None:
                struct.pack_into("<H", data, at + version_at, version)
            if flags is not None:
                struct.pack_into("<H", data, at + flag_at, flags)
            if method is not None:
                struct.pack_into("<H", data, at + method_at, method)
            at = data.find(signature, at + 4)
    return data


def corrupt_deflate() -> bytearray:
    data = zip_bytes()
    start = 30 + len("manifest.json")  # the first member's compressed data
    for offset in (5, 6, 7):
        data[start + offset] ^= 0xFF
    return data


def symlink_member() -> bytearray:
    """A zip member recorded as a Unix symbolic link to /dev/zero (as `zip -y` stores it)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("manifest.json", json.dumps(GOOD))
        link = zipfile.ZipInfo("outputs/os-release.txt")
        link.create_system = 3
        link.external_attr = (stat.S_IFLNK | 0o777) << 16
        archive.writestr(link, "/dev/zero")
    return bytearray(buffer.getvalue())


def deep_manifest() -> bytes:
    return json.dumps({**GOOD, "probes": [{"name": "x", "value": 0}]}).replace(
        '"value": 0', '"value": ' + "[" * 100_000 + "]" * 100_000).encode()


MALFORMED_ZIPS: dict[str, tuple[Callable[[], bytes | bytearray], str]] = {
    "corrupt-deflate": (corrupt_deflate, "manifest.json is damaged"),
    "method-99": (lambda: patch_headers(zip_bytes(), method=99),
                  "uses compression method 99"),
    "encrypted": (lambda: patch_headers(zip_bytes(), flags=0x1), "is encrypted"),
    "zip-version-6.4": (lambda: patch_headers(zip_bytes(), version=64),  # found by hypothesis
                        "is neither a zip file nor a directory"),
    "deep-json": (lambda: zip_bytes(deep_manifest()), "nests more than 64 levels"),
    "deep-json-that-json-reads": (lambda: zip_bytes(json.dumps(  # 70 levels: within json's
        {**GOOD, "checks": json.loads("[" * 70 + "]" * 70)}).encode()),  # recursion, not ours
        "nests more than 64 levels"),
    "symlink-member": (symlink_member, "is not a regular file"),
    "duplicate-keys": (lambda: zip_bytes(b'{"format": "x", "format": "precheck-bundle"}'),
                       "the key 'format' appears twice"),
    "lone-surrogate": (lambda: zip_bytes(json.dumps(
        {**GOOD, "tool_version": "\ud800"}).encode()), "surrogate"),
    "unsafe-integer": (lambda: zip_bytes(json.dumps(
        {**GOOD, "probes": [{"name": "x", "value": 10**30}]}).encode()), "canonical JSON"),
    "impossible-created": (lambda: zip_bytes(json.dumps(
        {**GOOD, "created": "2026-02-30T01:02:03Z"}).encode()), '"created"'),
    "impossible-clock": (lambda: zip_bytes(json.dumps({**GOOD, "probes": [
        {"name": "clock:now", "value": "2026-11-31T10:15:00+09:00"}]}).encode()), "clock:now"),
    "clock-without-offset": (lambda: zip_bytes(json.dumps({**GOOD, "probes": [
        {"name": "clock:now", "value": "2026-11-20T10:15:00"}]}).encode()), "clock:now"),
    "utf16-mixed-zero-bytes": (lambda: zip_bytes(member=b"a\x00\x00b"),
                               "neither UTF-8 nor UTF-16"),
    "truncated": (lambda: zip_bytes()[:-30], "neither a zip file nor a directory"),
    # its first bytes cut: a member's header lies before the file's start, and the seek to it
    # fails with OSError (found by tests/test_fuzz_inputs.py)
    "head-cut": (lambda: zip_bytes()[40:], "manifest.json is damaged"),
}


def cli(*argv: str) -> tuple[ExitStatus, str, str]:
    out, err = io.StringIO(), io.StringIO()
    status = run_cli(list(argv), Environment(out, err, {
        "PRECHECK_HOME": os.environ["PRECHECK_HOME"]}))
    return status, out.getvalue(), err.getvalue()


def assert_refused_by_cli(path: Path, complaint: str) -> None:
    status, out, err = cli("run", "--bundle", str(path), "--only", "os.support", "--lang", "en")
    assert status is ExitStatus.USAGE, err
    assert err.startswith("precheck: error: bundle ")
    assert complaint in err
    assert err.count("\n") == 1
    assert out == ""


@pytest.mark.parametrize("name", MALFORMED_ZIPS)
def test_a_malformed_zip_is_refused_in_one_line(name: str, tmp_path: Path) -> None:
    make, complaint = MALFORMED_ZIPS[name]
    path = tmp_path / f"{name}.zip"
    path.write_bytes(bytes(make()))
    with pytest.raises(InputError) as caught:
        bundles.read(path)
    assert complaint in str(caught.value)
    assert "\n" not in str(caught.value)
    assert_refused_by_cli(path, complaint)


# -- folder bundles: regular files only --------------------------------------------------------

def link_to(target: str | Path) -> Callable[[Path], None]:
    return lambda path: path.symlink_to(target)


def test_a_member_linking_to_dev_zero_is_refused(tmp_path: Path) -> None:
    root = folder_bundle(tmp_path / "b", link_to("/dev/zero"))
    with pytest.raises(InputError, match=r"outputs/os-release\.txt is a link"):
        bundles.read(root)
    assert_refused_by_cli(root, "is a link")


def test_a_member_linking_outside_is_never_read(tmp_path: Path) -> None:
    secret = tmp_path / "machine-id"
    secret.write_text("a-secret-machine-id\n", encoding="utf-8")
    root = folder_bundle(tmp_path / "b", link_to(secret))
    with pytest.raises(InputError, match="is a link") as caught:
        bundles.read(root)
    assert "a-secret-machine-id" not in str(caught.value)


def test_a_link_to_a_file_inside_the_bundle_is_refused_too(tmp_path: Path) -> None:
    root = folder_bundle(tmp_path / "b")
    (root / "outputs" / "copy.txt").symlink_to(root / "outputs" / "os-release.txt")
    manifest = {**GOOD, "probes": [{"name": "file:/etc/os-release",
                                    "value_file": "outputs/copy.txt"}]}
    (root / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    with pytest.raises(InputError, match="is a link"):
        bundles.read(root)


def test_a_linked_folder_inside_the_bundle_is_refused(tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "os-release.txt").write_text(OS_RELEASE, encoding="utf-8")
    root = tmp_path / "b"
    root.mkdir()
    (root / "outputs").symlink_to(elsewhere, target_is_directory=True)
    (root / "manifest.json").write_text(json.dumps(GOOD), encoding="utf-8")
    with pytest.raises(InputError, match=r"outputs/os-release\.txt is a link"):
        bundles.read(root)


def test_a_linked_manifest_is_refused(tmp_path: Path) -> None:
    real = folder_bundle(tmp_path / "real")
    root = tmp_path / "b"
    root.mkdir()
    (root / "manifest.json").symlink_to(real / "manifest.json")
    with pytest.raises(InputError, match=r"manifest\.json is a link"):
        bundles.read(root)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="FIFOs are a POSIX thing")
def test_a_fifo_member_is_refused_without_waiting(tmp_path: Path) -> None:
    root = folder_bundle(tmp_path / "b", os.mkfifo)
    with pytest.raises(InputError, match=r"is a pipe \(FIFO\), not a regular file"):
        bundles.read(root)
    assert_refused_by_cli(root, "is a pipe (FIFO)")


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="FIFOs are a POSIX thing")
def test_a_fifo_or_a_device_given_as_the_bundle_is_refused(tmp_path: Path) -> None:
    fifo = tmp_path / "bundle.zip"
    os.mkfifo(fifo)
    assert_refused_by_cli(fifo, "is a pipe (FIFO), not a regular file")
    assert_refused_by_cli(Path("/dev/zero"), "is a device, not a regular file")


def test_a_device_member_is_refused(tmp_path: Path) -> None:
    def device(path: Path) -> None:
        try:
            os.mknod(path, stat.S_IFCHR | 0o600, os.makedev(1, 5))  # what /dev/zero is
        except (PermissionError, AttributeError):
            pytest.skip("making a device node needs root (CAP_MKNOD) on POSIX")

    root = folder_bundle(tmp_path / "b", device)
    with pytest.raises(InputError, match="is a device, not a regular file"):
        bundles.read(root)


def test_a_folder_where_a_file_should_be_is_refused(tmp_path: Path) -> None:
    root = folder_bundle(tmp_path / "b", lambda path: path.mkdir())
    with pytest.raises(InputError, match="is a folder, not a regular file"):
        bundles.read(root)


# -- sizes -------------------------------------------------------------------------------------

def test_a_member_over_its_limit_is_refused_whatever_its_header_says(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(bundles, "MAX_MEMBER_BYTES", 1000)
    honest = tmp_path / "honest.zip"
    honest.write_bytes(bytes(zip_bytes(member=b"x" * 5000)))
    with pytest.raises(InputError, match=r"os-release\.txt is too large \(5000 bytes\)"):
        bundles.read(honest)
    lying = zip_bytes(member=b"x" * 5000, compression=zipfile.ZIP_STORED)
    at = lying.find(b"PK\x01\x02")
    while b"os-release" not in lying[at + 46:at + 46 + 40]:
        at = lying.find(b"PK\x01\x02", at + 4)
    struct.pack_into("<II", lying, at + 20, 10, 10)  # the directory claims 10 bytes
    path = tmp_path / "lying.zip"
    path.write_bytes(bytes(lying))
    with pytest.raises(InputError, match=r"os-release\.txt is damaged"):
        bundles.read(path)  # zipfile reads only the claimed 10 bytes, and their CRC is wrong
    folder = folder_bundle(tmp_path / "f", lambda p: p.write_bytes(b"x" * 5000))
    with pytest.raises(InputError, match="too large"):
        bundles.read(folder)


def test_all_members_together_have_a_limit(tmp_path: Path,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(bundles, "MAX_TOTAL_BYTES", 10_000)
    manifest = {**GOOD, "probes": [{"name": f"file:/{n}", "value_file": "outputs/os-release.txt"}
                                   for n in range(1000)]}  # one member read again and again
    path = tmp_path / "repeat.zip"
    path.write_bytes(bytes(zip_bytes(json.dumps(manifest).encode())))
    with pytest.raises(InputError, match="too large"):
        bundles.read(path)


# -- text encodings ----------------------------------------------------------------------------

@pytest.mark.parametrize("encoding", ["utf-16-le", "utf-16-be"])
def test_utf16_without_a_bom_is_read_as_utf16(encoding: str, tmp_path: Path) -> None:
    root = folder_bundle(tmp_path / "b",
                         lambda path: path.write_bytes(OS_RELEASE.encode(encoding)))
    read = bundles.read(root)
    assert read.records["file:/etc/os-release"].value == OS_RELEASE
    system = evaluate(plugins.load(), policies.builtin(), read).system
    assert probes.os_info(system).version == "12"


def test_a_utf16_manifest_without_a_bom_is_read(tmp_path: Path) -> None:
    path = tmp_path / "b.zip"
    path.write_bytes(bytes(zip_bytes(json.dumps(GOOD).encode("utf-16-le"))))
    assert bundles.read(path).records["file:/etc/os-release"].value == OS_RELEASE


def test_a_text_with_a_zero_byte_round_trips_through_a_bundle(tmp_path: Path) -> None:
    from precheck.system import Platform, Record

    records = [Record("cmd:odd", value={"returncode": 0, "stdout": "a\0b", "stderr": ""}),
               Record("file:/odd", value="x\0y")]
    path = bundles.write(tmp_path / "b.zip", Platform.LINUX, records, checks=[], policy={})
    read = bundles.read(path)
    assert read.records["cmd:odd"].value == {"returncode": 0, "stdout": "a\0b", "stderr": ""}
    assert read.records["file:/odd"].value == "x\0y"
