"""Results are values: a status, a message id with its arguments, evidence and the fix.

Nothing here is translated. A check stores message ids (English source strings marked with
:func:`N_`) and arguments; a renderer translates them when it shows them, so a signed report is
the same whatever language the person reading it prefers.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from types import MappingProxyType
from typing import TypeAlias

#: A value a message argument or an evidence item may hold: it must survive JSON unchanged.
#: A message argument may also be a nested Message (translated with its parent), or a list.
Scalar: TypeAlias = str | int | float | bool | None
Item: TypeAlias = "Scalar | Message"
Value: TypeAlias = "Item | tuple[Item, ...]"


def N_(msgid: str) -> str:  # noqa: N802 - the conventional gettext marker name
    """Mark a string as a message id for extraction; translation happens when it is shown."""
    return msgid


class Status(StrEnum):
    """The outcome of one check (DESIGN.md section 3)."""

    PASS = "pass"  # noqa: S105 - a status word, not a password; the requirement is met
    WARN = "warn"  # advisory: worth fixing, does not block booking
    FAIL = "fail"  # the requirement is not met; blocks booking when the check is required
    SKIP = "skip"  # not applicable here, with the reason
    ERROR = "error"  # could not tell, with the reason; blocks like a fail when required

    @property
    def blocks(self) -> bool:
        """True when this status blocks booking for a required check."""
        return self in (Status.FAIL, Status.ERROR)


def freeze(args: Mapping[str, object]) -> Mapping[str, Value]:
    """Arguments or evidence as an immutable mapping of JSON-safe values (lists become tuples)."""
    frozen: dict[str, Value] = {}
    for key, value in args.items():
        if isinstance(value, list | tuple | set | frozenset):
            items = sorted(value, key=str) if isinstance(value, set | frozenset) else value
            frozen[key] = tuple(_scalar(key, v) for v in items)
        else:
            frozen[key] = _scalar(key, value)
    return MappingProxyType(frozen)


def _scalar(key: str, value: object) -> Item:
    if value is None or isinstance(value, str | bool | int | float | Message):
        return value
    msg = f"message argument {key!r} must be a JSON scalar, a Message or a list, not {type(value)}"
    raise TypeError(msg)


@dataclass(frozen=True, slots=True)
class Message:
    """A message id (an English source string with ``{name}`` fields) and its arguments."""

    msgid: str
    args: Mapping[str, Value] = field(default_factory=lambda: MappingProxyType({}))

    @classmethod
    def of(cls, msgid: str, **args: object) -> Message:
        return cls(msgid, freeze(args))

    @classmethod
    def from_json(cls, data: Mapping[str, object]) -> Message:
        """The inverse of :meth:`to_json` (nested messages are dicts with a ``msgid``)."""
        raw_args = data.get("args") or {}
        if not isinstance(raw_args, Mapping):
            msg = "message args must be an object"
            raise TypeError(msg)
        return cls.of(str(data["msgid"]), **{k: _from_json(v) for k, v in raw_args.items()})

    def to_json(self) -> dict[str, object]:
        return {"msgid": self.msgid, "args": {k: _jsonable(v) for k, v in self.args.items()}}


def _jsonable(value: Value) -> object:
    if isinstance(value, tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, Message):
        return value.to_json()
    return value


def _from_json(value: object) -> object:
    if isinstance(value, list):
        return tuple(_from_json(v) for v in value)
    if isinstance(value, Mapping) and "msgid" in value:
        return Message.from_json(value)
    return value


@dataclass(frozen=True, slots=True)
class Result:
    """What one check found. Built through the helpers on :class:`precheck.api.Check`."""

    check_id: str
    status: Status
    summary: Message
    evidence: Mapping[str, Value] = field(default_factory=lambda: MappingProxyType({}))
    fix: tuple[Message, ...] = ()
    duration_s: float = 0.0

    def with_duration(self, duration_s: float) -> Result:
        return Result(
            self.check_id, self.status, self.summary, self.evidence, self.fix, duration_s
        )
