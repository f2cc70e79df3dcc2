"""Reading what a person hands precheck (a report, a diagnostic bundle and its members), safely.

Such files may come from anyone: a job seeker's e-mail, an unzip tool that restores links, an
attacker. Whatever they hold, reading them ends quickly with either the content or one
:class:`~precheck.errors.InputError` line saying what is wrong. So:

- only **regular files** are read. A FIFO would block the read for ever, a device such as
  ``/dev/zero`` never ends, and a folder is not a file. The file is opened without blocking and
  checked with ``fstat`` on the opened descriptor, so it cannot be swapped between the check and
  the read;
- inside a folder bundle, **no link is followed** (:func:`open_inside`): each part of the member's
  path must be a real folder or, last, a real file inside the bundle's folder (on POSIX opened
  one folder at a time with ``O_NOFOLLOW``, so no part can be swapped for a link meanwhile);
- reads stop at a size limit, whatever the file claims;
- JSON is read strictly (:func:`loads_strict`) and may nest at most :data:`MAX_JSON_DEPTH`
  levels (deeper nesting exhausts the recursion of every later reader: the schema validator, the
  canonical form, the model).
"""

from __future__ import annotations

import errno
import json
import os
import re
import stat
from pathlib import Path, PurePosixPath
from typing import IO, Any, BinaryIO, NoReturn

from precheck.errors import InputError

#: Deeper than any report or bundle precheck writes (they nest fewer than 10 levels).
MAX_JSON_DEPTH = 64

_READ = os.O_RDONLY | getattr(os, "O_BINARY", 0) | getattr(os, "O_NONBLOCK", 0)
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)


def open_regular(path: Path, what: str = "") -> BinaryIO:
    """``path`` opened for reading, if it is a regular file (a link to one is followed: the
    person named this path). ``what`` names it in messages, e.g. ``"bundle"``."""
    name = f"{what} {path}" if what else str(path)
    if path.is_dir():  # said first: Windows refuses to open a folder as "permission denied"
        msg = f"{name} is a folder, not a file"
        raise InputError(msg)
    try:
        fd = os.open(path, _READ)
    except FileNotFoundError:
        msg = f"{name}: no such file"
        raise InputError(msg) from None
    except IsADirectoryError:  # Windows; elsewhere a folder opens and fstat says what it is
        msg = f"{name} is a folder, not a file"
        raise InputError(msg) from None
    except OSError as exc:
        msg = f"cannot read {name}: {exc.strerror or exc}"
        raise InputError(msg) from None
    return _regular(fd, name)


def open_inside(root: Path, member: str, what: str) -> BinaryIO:
    """The regular file ``member`` (a relative ``/`` path) inside the folder ``root``, following
    no link on the way: a bundle's member must be the bundle's own file, never a link to
    ``/dev/zero`` or to a file elsewhere on the computer.

    On POSIX each folder on the way is opened relative to the one before with ``O_NOFOLLOW``, so
    nothing can be swapped for a link between a check and the open; elsewhere (Windows) each part
    is checked with ``lstat`` first.
    """
    parts = PurePosixPath(member).parts
    if _BY_DESCRIPTOR:
        return _open_by_descriptor(root, parts, member, what)
    where = root
    for index, part in enumerate(parts):
        where = where / part
        try:
            mode = os.lstat(where).st_mode
        except FileNotFoundError:
            raise _no_file(member, what) from None
        except OSError as exc:
            raise _unreadable(member, what, exc) from None
        if stat.S_ISLNK(mode):
            raise _a_link(member, what)
        if index < len(parts) - 1 and not stat.S_ISDIR(mode):
            raise _no_file(member, what)
    try:
        fd = os.open(where, _READ | _NOFOLLOW)
    except OSError as exc:  # it changed since lstat
        raise _unreadable(member, what, exc) from None
    return _regular(fd, f"{what}: {member}")


_DIRECTORY = getattr(os, "O_DIRECTORY", 0)
_BY_DESCRIPTOR = bool(_NOFOLLOW and _DIRECTORY) and os.open in os.supports_dir_fd


def _open_by_descriptor(root: Path, parts: tuple[str, ...], member: str, what: str) -> BinaryIO:
    try:
        folder = os.open(root, os.O_RDONLY | _DIRECTORY)
    except OSError as exc:
        raise _unreadable(member, what, exc) from None
    try:
        for index, part in enumerate(parts):
            last = index == len(parts) - 1
            flags = (_READ if last else os.O_RDONLY | _DIRECTORY) | _NOFOLLOW
            try:
                fd = os.open(part, flags, dir_fd=folder)
            except OSError as exc:  # ELOOP for a link, ENOTDIR for a link to a folder
                if exc.errno == errno.ELOOP or _is_link(part, folder):
                    raise _a_link(member, what) from None
                if isinstance(exc, FileNotFoundError | NotADirectoryError):
                    raise _no_file(member, what) from None
                raise _unreadable(member, what, exc) from None
            if last:
                return _regular(fd, f"{what}: {member}")
            os.close(folder)
            folder = fd
    finally:
        os.close(folder)
    raise _no_file(member, what)  # an empty path: unreachable, the caller refuses it


def _is_link(part: str, folder: int) -> bool:
    try:
        return stat.S_ISLNK(os.lstat(part, dir_fd=folder).st_mode)
    except OSError:
        return False


def _no_file(member: str, what: str) -> InputError:
    return InputError(f"{what} has no file {member}")


def _a_link(member: str, what: str) -> InputError:
    return InputError(f"{what}: {member} is a link; a bundle may hold only its own files "
                      "(unpack it again without links, or send the zip file)")


def _unreadable(member: str, what: str, exc: OSError) -> InputError:
    return InputError(f"{what}: cannot read {member} ({exc.strerror or exc})")


def _regular(fd: int, name: str) -> BinaryIO:
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            msg = f"{name} is {_kind(mode)}, not a regular file"
            raise InputError(msg)
        if hasattr(os, "set_blocking"):
            os.set_blocking(fd, True)  # non-blocking only for the open; a file reads normally
    except BaseException:
        os.close(fd)
        raise
    return os.fdopen(fd, "rb")


def _kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a pipe (FIFO)"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a file"


def read_limited(file: IO[bytes], limit: int, name: str) -> bytes:
    """At most ``limit`` bytes of ``file``; more is an InputError naming ``name``."""
    try:
        data = file.read(limit + 1)
    except OSError as exc:
        msg = f"cannot read {name}: {exc.strerror or exc}"
        raise InputError(msg) from None
    if len(data) > limit:
        msg = f"{name} is larger than {_size(limit)}"
        raise InputError(msg)
    return data


def _size(limit: int) -> str:
    return f"{limit // (1024 * 1024)} MiB" if limit >= 1024 * 1024 else f"{limit} bytes"


def loads_strict(text: str, name: str) -> object:
    """The JSON value of ``text`` (the content of ``name``), strictly: InputError for text that is
    not JSON, duplicate object keys (two parsers could read different values, and only one was
    signed), NaN or Infinity (not JSON), nesting deeper than :data:`MAX_JSON_DEPTH`, and strings
    holding half of a UTF-16 surrogate pair (not Unicode text: they cannot be written as UTF-8
    nor put in the canonical form a signature covers)."""
    try:
        value = json.loads(text, object_pairs_hook=_object, parse_constant=_constant)
    except json.JSONDecodeError as exc:
        msg = f"{name} is not JSON: {exc.msg} at line {exc.lineno} column {exc.colno}"
        raise InputError(msg) from None
    except ValueError as exc:  # from the hooks below
        msg = f"{name} is not valid JSON: {exc}"
        raise InputError(msg) from None
    except RecursionError:
        raise _too_deep(name) from None
    check_json(value, name)
    return value


def check_json(value: object, name: str, limit: int = MAX_JSON_DEPTH) -> None:
    """InputError when the JSON ``value`` nests more than ``limit`` arrays and objects deep, or
    holds a lone surrogate. Iterative, so a deep value cannot exhaust the check's own recursion."""
    level: list[object] = [value]
    depth = 0
    while level:
        depth += 1
        if depth > limit:
            raise _too_deep(name, limit)
        children: list[object] = []
        for item in level:
            if isinstance(item, dict):
                children.extend(item.keys())
                children.extend(item.values())
            elif isinstance(item, list):
                children.extend(item)
        level = []
        for child in children:
            if isinstance(child, str):
                if not child.isascii() and _SURROGATE.search(child):
                    msg = (f"{name} holds a string with half of a UTF-16 surrogate pair: it is "
                           "not Unicode text")
                    raise InputError(msg)
            elif isinstance(child, dict | list):
                level.append(child)
    if isinstance(value, str) and _SURROGATE.search(value):
        msg = f"{name} holds a string with half of a UTF-16 surrogate pair: it is not Unicode text"
        raise InputError(msg)


_SURROGATE = re.compile("[\ud800-\udfff]")


def _too_deep(name: str, limit: int = MAX_JSON_DEPTH) -> InputError:
    return InputError(f"{name} nests more than {limit} levels deep: it is not a precheck file")


def _object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            msg = f"the key {key!r} appears twice in one object"
            raise ValueError(msg)
        result[key] = value
    return result


def _constant(name: str) -> NoReturn:
    msg = f"{name} is not a JSON number"
    raise ValueError(msg)
