"""Per-installation signing identity, device ids, and Ed25519 signatures over reports.

**What is signed.** The bytes ``SIGNING_CONTEXT + canonical_bytes(document)``, where the document
is the report without its ``signature`` member and ``canonical_bytes`` is RFC 8785 (JCS). The
context line ``precheck-report-v1\\n`` separates the domain: a signature over a report can never
be passed off as a signature over anything else the same key might sign, and a future format
gets its own line.

**The key.** One Ed25519 key per installation, made on first use and kept in the user's data
directory (:func:`precheck.paths.data_dir`) as ``signing-key.pem`` (unencrypted PKCS#8 PEM), next
to ``device-salt`` (32 random bytes). Both files are created readable by the user only (0600, in a
0700 folder; on Windows the per-user folder's ACL keeps them private). Staff recognise a device
by its key id across visits; a new key (after deleting the file) is simply a new device to them.
This proves continuity, not honesty: a modified tool can sign anything (DESIGN.md section 4).

**The device id.** ``d1-`` and the first 128 bits (32 hex digits) of
HMAC-SHA256(salt, OS machine id). It is stable for one installation on one machine and says
nothing about either: without the salt, which never leaves the machine, it cannot be linked to the
machine id (terms of use, Article 7).
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import copy
import hashlib
import hmac
import os
import re
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from pydantic import ValidationError

from precheck.errors import PrecheckError
from precheck.paths import data_dir
from precheck.reports.canonical import canonical_bytes
from precheck.reports.errors import ReportInvalid
from precheck.reports.model import Report
from precheck.reports.schema import path_of, validate

if TYPE_CHECKING:
    from pathlib import Path

__all__ = [
    "SIGNING_CONTEXT", "Identity", "ReportInvalid", "VerifiedReport", "device_id", "key_id_of",
    "sign", "signed_bytes", "verify",
]

SIGNING_CONTEXT = b"precheck-report-v1\n"
ALGORITHM = "Ed25519"
KEY_FILE = "signing-key.pem"
SALT_FILE = "device-salt"
SALT_BYTES = 32
NO_MACHINE_ID = "no-machine-id"

_B64URL = re.compile(r"^[A-Za-z0-9_-]*$")


@dataclass(frozen=True, slots=True)
class Identity:
    """This installation's signing key and device-id salt."""

    private_key: Ed25519PrivateKey
    salt: bytes

    @classmethod
    def load_or_create(cls, directory: Path | None = None) -> Identity:
        """The identity kept in ``directory`` (default: the data directory), made on first use.

        Two processes starting at once end up with the same identity: each file is written
        completely under a temporary name and then linked into place only if it does not exist
        yet, and everyone then reads back the one that won.
        """
        folder = data_dir() if directory is None else directory
        try:
            folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        except OSError as exc:
            msg = f"cannot create the folder {folder} for the signing key: {exc.strerror}"
            raise PrecheckError(msg) from exc
        pem = _read_or_create(folder / KEY_FILE, _new_key_pem)
        salt = _read_or_create(folder / SALT_FILE, lambda: secrets.token_bytes(SALT_BYTES))
        return cls(_parse_key(folder / KEY_FILE, pem), _check_salt(folder / SALT_FILE, salt))

    @property
    def public_key_raw(self) -> bytes:
        """The 32-byte raw public key."""
        return self.private_key.public_key().public_bytes(
            serialization.Encoding.Raw, serialization.PublicFormat.Raw)

    @property
    def public_key_b64(self) -> str:
        """The public key as it appears in a report: base64url without padding."""
        return b64url(self.public_key_raw)

    @property
    def key_id(self) -> str:
        """``k1-`` and the first 32 hex digits of SHA-256 of the raw public key."""
        return key_id_of(self.public_key_raw)


def key_id_of(public_key_raw: bytes) -> str:
    return "k1-" + hashlib.sha256(public_key_raw).hexdigest()[:32]


def device_id(identity: Identity, machine_id: str | None) -> str:
    """The pseudonymous device id: ``d1-`` + 32 hex digits of HMAC-SHA256(salt, machine id)."""
    message = (machine_id or NO_MACHINE_ID).encode("utf-8")
    return "d1-" + hmac.new(identity.salt, message, hashlib.sha256).hexdigest()[:32]


def signed_bytes(doc: Mapping[str, Any]) -> bytes:
    """Exactly what the signature covers: the context line and the canonical document without
    its ``signature`` member."""
    unsigned = {key: value for key, value in doc.items() if key != "signature"}
    return SIGNING_CONTEXT + canonical_bytes(unsigned)


def sign(unsigned: Mapping[str, Any], identity: Identity) -> dict[str, Any]:
    """A copy of the report with its ``signature``; any previous signature is replaced.

    The document must be a valid report (ReportInvalid otherwise), so nothing unverifiable is
    ever signed.
    """
    doc = {key: copy.deepcopy(value) for key, value in unsigned.items() if key != "signature"}
    _check_document(doc)
    value = identity.private_key.sign(signed_bytes(doc))
    doc["signature"] = {
        "alg": ALGORITHM,
        "key_id": identity.key_id,
        "public_key": identity.public_key_b64,
        "value": b64url(value),
    }
    return doc


@dataclass(frozen=True, slots=True)
class VerifiedReport:
    """A report whose signature holds: the typed model, the document, and who signed it."""

    report: Report
    document: Mapping[str, Any]
    key_id: str
    public_key: str


def verify(doc: Mapping[str, Any], *, expected_key_id: str | None = None) -> VerifiedReport:
    """Check a signed report; ReportInvalid gives the first reason it does not hold, in one line.

    The order: the envelope (is it signed, with an algorithm this version knows, so a report from
    a future version says so rather than failing on a path), the schema and the model (the first
    error with its JSON path), the public key and key id, the signature over the content, and last
    the key the caller expected (e.g. the one the gateway saw at this device's earlier visits).
    """
    envelope = doc.get("signature")
    if envelope is None:
        msg = "the report is not signed (it has no signature)"
        raise ReportInvalid(msg)
    if isinstance(envelope, Mapping) and envelope.get("alg") != ALGORITHM:
        msg = (f"unknown signature algorithm {envelope.get('alg')!r}: this version of precheck "
               f"verifies {ALGORITHM} only")
        raise ReportInvalid(msg)
    report = _check_document(doc)
    signature = report.signature
    if signature is None:  # the envelope check above makes this unreachable; mypy cannot tell
        msg = "the report is not signed (it has no signature)"
        raise ReportInvalid(msg)
    raw_key = _b64url_decode(signature.public_key, 32)
    if raw_key is None:
        msg = "signature/public_key is malformed: it is not the base64url form of a 32-byte key"
        raise ReportInvalid(msg)
    if key_id_of(raw_key) != signature.key_id:
        msg = (f"signature/key_id {signature.key_id} does not match the public key in the report "
               f"(whose id is {key_id_of(raw_key)})")
        raise ReportInvalid(msg)
    raw_value = _b64url_decode(signature.value, 64)
    if raw_value is None:
        msg = "signature/value is malformed: it is not the base64url form of 64 bytes"
        raise ReportInvalid(msg)
    try:
        Ed25519PublicKey.from_public_bytes(raw_key).verify(raw_value, signed_bytes(doc))
    except InvalidSignature:
        msg = ("the signature does not match the content: the report was changed after it was "
               "signed")
        raise ReportInvalid(msg) from None
    except ValueError as exc:  # a key the curve rejects, or content JCS cannot encode
        msg = f"the signature cannot be checked: {exc}"
        raise ReportInvalid(msg) from exc
    if expected_key_id is not None and signature.key_id != expected_key_id:
        msg = (f"the report is signed by device key {signature.key_id}, not the expected "
               f"{expected_key_id}: it comes from another precheck installation")
        raise ReportInvalid(msg)
    return VerifiedReport(report, doc, signature.key_id, signature.public_key)


def _check_document(doc: Mapping[str, Any]) -> Report:
    """Schema first (paths the gateway documents), then the model's rules between fields."""
    validate(doc)
    try:
        return Report.model_validate(doc)
    except ValidationError as exc:
        first = exc.errors()[0]
        raise ReportInvalid(f"{path_of(first['loc'])}: {first['msg']}") from None


def b64url(data: bytes) -> str:
    """base64url without padding (RFC 4648 section 5)."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _b64url_decode(text: str, length: int) -> bytes | None:
    """The bytes ``text`` encodes, or None unless it is the one canonical encoding of exactly
    ``length`` bytes (unused trailing bits must be zero, so no two strings decode alike)."""
    if not _B64URL.match(text):
        return None
    try:
        data = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError):
        return None
    if len(data) != length or b64url(data) != text:
        return None
    return data


# -- the identity files ------------------------------------------------------------------------

def _new_key_pem() -> bytes:
    return Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption())


def _read_or_create(path: Path, make: Callable[[], bytes]) -> bytes:
    """The file's bytes; when it does not exist yet, create it with ``make()`` first."""
    try:
        return path.read_bytes()
    except FileNotFoundError:
        pass
    except OSError as exc:
        raise _unreadable(path, exc) from exc
    try:
        _create_exclusive(path, make())
        return path.read_bytes()  # ours, or the one another process linked in first
    except OSError as exc:
        raise _unreadable(path, exc) from exc


def _create_exclusive(path: Path, data: bytes) -> None:
    """Put ``data`` at ``path`` unless something is there already, never half-written.

    The data goes to a fresh temporary file, created 0600 with O_EXCL, and is then hard-linked to
    ``path``: the link either appears complete or fails because another process won the race.
    """
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(8)}.tmp")
    flags = os.O_CREAT | os.O_EXCL | os.O_WRONLY | getattr(os, "O_BINARY", 0)
    fd = os.open(temporary, flags, 0o600)
    try:
        with os.fdopen(fd, "wb") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        with contextlib.suppress(FileExistsError):  # another process won: everyone uses that one
            os.link(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)


def _unreadable(path: Path, exc: OSError) -> PrecheckError:
    return PrecheckError(f"cannot read or create {path}: {exc.strerror or exc}. Check that the "
                         f"folder is yours and writable, or set PRECHECK_HOME to another folder.")


def _parse_key(path: Path, pem: bytes) -> Ed25519PrivateKey:
    try:
        key = serialization.load_pem_private_key(pem, password=None)
    except (ValueError, TypeError, UnsupportedAlgorithm) as exc:
        raise _damaged(path, "it is not an unencrypted PKCS#8 PEM private key") from exc
    if not isinstance(key, Ed25519PrivateKey):
        raise _damaged(path, f"it holds a {type(key).__name__}, not an Ed25519 key")
    return key


def _check_salt(path: Path, salt: bytes) -> bytes:
    if len(salt) != SALT_BYTES:
        raise _damaged(path, f"it has {len(salt)} bytes, not {SALT_BYTES}")
    return salt


def _damaged(path: Path, reason: str) -> PrecheckError:
    what = "signing key" if path.name == KEY_FILE else "device salt"
    consequence = ("a new device key" if path.name == KEY_FILE else "a new device id")
    return PrecheckError(
        f"the {what} file {path} is damaged ({reason}). Delete it and run precheck again to make "
        f"a new one; office staff will then see {consequence} for this computer.")
