"""The per-installation identity: made once, private from the start, reused, and explained when
damaged; the device id it gives is stable and reveals nothing."""

from __future__ import annotations

import os
import re
import stat
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from precheck.errors import PrecheckError
from precheck.reports.signing import KEY_FILE, SALT_FILE, Identity, device_id

posix_only = pytest.mark.skipif(sys.platform == "win32", reason="POSIX file modes")


@posix_only
def test_files_are_private_from_creation(tmp_path: Path) -> None:
    folder = tmp_path / "new" / "precheck"
    old_umask = os.umask(0o000)  # even a permissive umask must not open them up
    try:
        Identity.load_or_create(folder)
    finally:
        os.umask(old_umask)
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    for name in (KEY_FILE, SALT_FILE):
        assert stat.S_IMODE((folder / name).stat().st_mode) == 0o600
    assert sorted(p.name for p in folder.iterdir()) == [SALT_FILE, KEY_FILE]  # no leftovers


def test_the_default_folder_is_the_data_directory(tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PRECHECK_HOME", str(tmp_path / "home"))
    identity = Identity.load_or_create()
    assert (tmp_path / "home" / KEY_FILE).is_file()
    assert Identity.load_or_create(tmp_path / "home").key_id == identity.key_id


def test_the_key_is_pkcs8_pem_and_the_salt_32_bytes(tmp_path: Path) -> None:
    identity = Identity.load_or_create(tmp_path)
    pem = (tmp_path / KEY_FILE).read_bytes()
    assert pem.startswith(b"-----BEGIN PRIVATE KEY-----")
    assert (tmp_path / SALT_FILE).read_bytes() == identity.salt
    assert len(identity.salt) == 32


def test_a_second_load_reuses_the_key_and_salt(tmp_path: Path) -> None:
    first = Identity.load_or_create(tmp_path)
    second = Identity.load_or_create(tmp_path)
    assert second.key_id == first.key_id
    assert second.salt == first.salt
    assert Identity.load_or_create(tmp_path / "elsewhere").key_id != first.key_id


def test_processes_starting_at_once_agree_on_one_identity(tmp_path: Path) -> None:
    folder = tmp_path / "race"
    start = threading.Barrier(8)

    def load() -> Identity:
        start.wait()
        return Identity.load_or_create(folder)

    with ThreadPoolExecutor(8) as pool:
        found = [future.result() for future in [pool.submit(load) for _ in range(8)]]
    assert len({i.key_id for i in found}) == 1
    assert len({i.salt for i in found}) == 1
    assert sorted(p.name for p in folder.iterdir()) == [SALT_FILE, KEY_FILE]


@pytest.mark.parametrize(("name", "content", "reason"), [
    (KEY_FILE, b"", "not an unencrypted PKCS#8 PEM private key"),
    (KEY_FILE, b"-----BEGIN PRIVATE KEY-----\ngarbage\n-----END PRIVATE KEY-----\n",
     "not an unencrypted PKCS#8 PEM private key"),
    (KEY_FILE, ec.generate_private_key(ec.SECP256R1()).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption()), "not an Ed25519 key"),
    (SALT_FILE, b"short", "5 bytes, not 32"),
], ids=["empty-key", "garbage-key", "ec-key", "short-salt"])
def test_a_damaged_file_says_which_and_what_to_do(tmp_path: Path, name: str, content: bytes,
                                                  reason: str) -> None:
    Identity.load_or_create(tmp_path)
    (tmp_path / name).write_bytes(content)
    with pytest.raises(PrecheckError) as caught:
        Identity.load_or_create(tmp_path)
    message = str(caught.value)
    assert str(tmp_path / name) in message
    assert reason in message
    assert "Delete it and run precheck again" in message
    assert "staff will then see a new device" in message
    (tmp_path / name).unlink()
    Identity.load_or_create(tmp_path)  # deleting it, as told, makes a new one


def test_a_folder_that_cannot_be_created_is_explained(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.raises(PrecheckError, match="cannot create the folder"):
        Identity.load_or_create(blocker / "precheck")


def test_the_device_id_is_a_stable_keyed_hash(tmp_path: Path) -> None:
    identity = Identity.load_or_create(tmp_path)
    ident = device_id(identity, "3d1219c7c4c5404aaa1f6d2a48adfda4")
    assert re.fullmatch(r"d1-[0-9a-f]{32}", ident)
    assert device_id(Identity.load_or_create(tmp_path), "3d1219c7c4c5404aaa1f6d2a48adfda4") == ident
    assert device_id(identity, "another-machine") != ident
    assert "3d1219c7" not in ident


def test_the_same_machine_under_another_installation_is_another_device(tmp_path: Path) -> None:
    one = Identity.load_or_create(tmp_path / "one")
    two = Identity.load_or_create(tmp_path / "two")
    assert device_id(one, "machine") != device_id(two, "machine")


def test_a_machine_without_an_id_still_gets_a_stable_one(tmp_path: Path) -> None:
    identity = Identity.load_or_create(tmp_path)
    assert device_id(identity, None) == device_id(identity, None)
    assert device_id(identity, None) == device_id(identity, "")
    assert re.fullmatch(r"d1-[0-9a-f]{32}", device_id(identity, None))
