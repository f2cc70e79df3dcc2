"""Reading a diagnostic bundle's files safely: a zip file or a folder, within size limits.

A bundle comes from another computer, and a hostile one can hold anything: links, pipes, devices,
members whose headers lie about their size, encrypted or exotically compressed members. This
reads only regular files, each up to its limit whatever it claims, and turns every problem into
an :class:`~precheck.errors.InputError` saying what is wrong. :mod:`precheck.bundle` reads the
manifest and the answers through it.
"""

from __future__ import annotations

import os
import stat
import zipfile
import zlib
from pathlib import PurePosixPath
from typing import TYPE_CHECKING, BinaryIO

from precheck.errors import InputError
from precheck.inputs import open_inside, open_regular, read_limited

if TYPE_CHECKING:
    from pathlib import Path

#: Compression methods every zip tool writes by default (Windows' "Send to > Compressed folder",
#: macOS' "Compress", zip, 7-Zip); others (e.g. 99, AES) are refused with a message.
_METHODS = {zipfile.ZIP_STORED: "stored", zipfile.ZIP_DEFLATED: "deflate"}
_UNIX = 3  # ZipInfo.create_system of a zip made on Unix: external_attr holds the file's mode


class BundleSource:
    """Reads members of a zip bundle or a directory bundle, within size limits.

    Only regular files are read: a folder bundle's member that is a link (even to a file inside),
    a FIFO or a device is refused, and so is a zip member recorded as a link; a member is read
    up to its limit whatever its header claims (:mod:`precheck.inputs`).
    """

    def __init__(self, path: Path, *, member_limit: int, total_limit: int) -> None:
        self.path = path
        self.member_limit = member_limit  # bytes, for a member read with no limit of its own
        self.total_limit = total_limit  # bytes, for the whole bundle and all members read
        self.zip: zipfile.ZipFile | None = None
        self.file: BinaryIO | None = None
        self.total = 0
        try:
            mode = path.stat().st_mode  # a link the person named is followed
        except FileNotFoundError:
            msg = f"bundle {path} does not exist"
            raise InputError(msg) from None
        except OSError as exc:
            msg = f"cannot read the bundle {path}: {exc.strerror or exc}"
            raise InputError(msg) from None
        if stat.S_ISDIR(mode):
            return
        self.file = file = open_regular(path, "bundle")
        try:
            if os.fstat(file.fileno()).st_size > total_limit:
                msg = f"bundle {path} is larger than {total_limit // (1024 * 1024)} MiB"
                raise InputError(msg)
            self.zip = zipfile.ZipFile(file)
        except InputError:
            self.close()
            raise
        except (zipfile.BadZipFile, OSError, EOFError, ValueError, NotImplementedError) as exc:
            self.close()  # NotImplementedError: e.g. "zip file version 6.4" in its directory
            msg = f"bundle {path} is neither a zip file nor a directory"
            raise InputError(msg) from exc

    def read(self, member: str, limit: int | None = None) -> bytes:
        """The bytes of ``member``, a relative path inside the bundle, of ``limit`` at most."""
        limit = self.member_limit if limit is None else limit
        pure = PurePosixPath(member)
        if pure.is_absolute() or ".." in pure.parts or "\\" in member or not member \
                or "\0" in member or pure.parts == ():
            msg = f"bundle {self.path}: member name {member!r} must be a relative path inside it"
            raise InputError(msg)
        if self.zip is not None:
            return self._read_zip(member, limit)
        where = f"bundle {self.path}"
        with open_inside(self.path, member, where) as file:
            self._account(member, os.fstat(file.fileno()).st_size, limit)
            return read_limited(file, limit, f"{where}: {member}")

    def _read_zip(self, member: str, limit: int) -> bytes:
        assert self.zip is not None  # noqa: S101 - only called for a zip bundle
        where = f"bundle {self.path}: {member}"
        try:
            info = self.zip.getinfo(member)
        except KeyError:
            msg = f"bundle {self.path} has no file {member}"
            raise InputError(msg) from None
        kind = stat.S_IFMT(info.external_attr >> 16)  # 0 when the zip tool left no file type
        if info.is_dir() or (info.create_system == _UNIX and kind not in {0, stat.S_IFREG}):
            msg = f"{where} is not a regular file (a folder or a link)"
            raise InputError(msg)
        if info.flag_bits & 0x1:
            msg = (f"{where} is encrypted: make the zip again without a password (precheck reads "
                   "only unencrypted bundles)")
            raise InputError(msg)
        if info.compress_type not in _METHODS:
            msg = (f"{where} uses compression method {info.compress_type}, which precheck does "
                   "not read: make the zip again with ordinary (deflate) compression")
            raise InputError(msg)
        self._account(member, info.file_size, limit)
        try:
            with self.zip.open(info) as file:
                return read_limited(file, limit, where)
        except (zipfile.BadZipFile, zlib.error, EOFError, ValueError, NotImplementedError,
                RuntimeError, OSError) as exc:  # "zip file version 6.4"; a member's offset
            # before the file's start makes the seek itself fail (OSError: Invalid argument)
            msg = f"{where} is damaged or made by a zip tool precheck cannot read ({exc})"
            raise InputError(msg) from None

    def _account(self, member: str, size: int, limit: int) -> None:
        self.total += size
        if size > limit or self.total > self.total_limit:
            msg = f"bundle {self.path}: {member} is too large ({size} bytes)"
            raise InputError(msg)

    def close(self) -> None:
        if self.zip is not None:
            self.zip.close()
        if self.file is not None:
            self.file.close()


def decode_text(data: bytes) -> str:
    """Text as a capture tool left it: UTF-8 (with or without BOM) or UTF-16 (with a BOM, or
    without one when its zero bytes show it).

    PowerShell 5's ``>`` writes UTF-16LE with a BOM, so hand-made bundles often hold that. Text
    with zero bytes is never UTF-8 text from a program: when every zero byte falls on the high
    half of a 16-bit unit (as in any UTF-16 text with a Latin letter, digit, space or line end),
    it is read as UTF-16 of that byte order; other zero bytes make it no text at all
    (UnicodeDecodeError). UTF-16 without a BOM holding only characters beyond U+00FF (kana and
    kanji only, not even a line end) has no zero byte and cannot be told from UTF-8.
    """
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16")
    if b"\0" in data:
        if len(data) % 2 == 0 and b"\0" not in data[0::2]:
            return data.decode("utf-16-le")
        if len(data) % 2 == 0 and b"\0" not in data[1::2]:
            return data.decode("utf-16-be")
        raise UnicodeDecodeError("utf-8", data, data.index(b"\0"), data.index(b"\0") + 1,
                                 "a zero byte: this is not text")
    return data.decode("utf-8-sig")
