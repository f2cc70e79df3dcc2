"""The check contract: what a check plugin (built in or third party) provides.

A check is a small class over facts. It reads facts with the typed functions of the probe
packages (``precheck.probes.resources(ctx.system)``; a plugin's own probe module likewise) and
limits from ``ctx.policy``, and returns a :class:`~precheck.result.Result`. It never runs a
subprocess, opens a device or a socket, looks at ``sys.platform`` or translates text itself: that
is what makes a Windows check testable on Linux and a bundle replayable anywhere.

Register a check under the entry-point group ``precheck.checks.v1``; the entry-point name is the
check id::

    [project.entry-points."precheck.checks.v1"]
    "power.battery" = "precheck.checks.power:Battery"

Everything a plugin needs is exported here (``from precheck.api import Check, N_, ...``); see
``docs/plugins.md`` for the whole kit, and ``precheck.testing`` for its pytest fixtures.
"""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any, ClassVar, TypeAlias

from precheck.errors import ProbeError, ProbeMissing
from precheck.policy import Policy
from precheck.result import N_, Message, Result, Status, freeze
from precheck.system import JSON, CommandResult, Platform, System

__all__ = [
    "JSON", "N_", "Check", "CommandResult", "Context", "FixStep", "Message", "Need", "Platform",
    "Policy", "ProbeError", "ProbeMissing", "Result", "Status", "System", "check_problems",
]

ENTRY_POINT_GROUP = "precheck.checks.v1"
ID_PATTERN = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$")
#: What a check enforces: an article of the terms of use ("5(4)", "12(2)"), "flyer" for the
#: offices' flyer, or another named source, "SOURCE:WHAT" ("vendor:disk-space",
#: "office:kagoshima-2026"), so that a vendor's own rule never pretends to be the flyer's.
ARTICLE_PATTERN = re.compile(r"^(\d+(\(\d+\))?|flyer|[a-z][a-z0-9_-]*:[^\s:][^\s]{0,63})$")
MAX_TIMEOUT_S = 120.0


class Need(StrEnum):
    """What a check needs besides facts the computer answers by itself. The app orders the run
    by them (a camera check waits until the preview is closed, a speaker check until the job
    seeker says whether the tone was heard) and releases each device when its checks are done."""

    CAMERA = "camera"  # opens the camera
    MICROPHONE = "microphone"  # records through the microphone
    SPEAKER = "speaker"  # plays a sound
    LISTENER = "listener"  # a person's answer (heard the tone or not)
    NETWORK = "network"  # talks to the internet or the booking gateway


@dataclass(frozen=True, slots=True)
class Context:
    """What a check is given: the facts of one machine and the policy that judges them."""

    system: System
    policy: Policy


#: A remediation step: a message id, or a Message when the step needs arguments.
FixStep: TypeAlias = str | Message


class Check(ABC):
    """Base class of every check. Subclasses set the class attributes and implement ``run``."""

    #: Stable forever: part of the report format. Dotted, lower case: ``security.firewall``.
    id: ClassVar[str]
    #: The article of the terms it enforces, e.g. ``5(4)``.
    article: ClassVar[str]
    #: Required checks block booking when they fail or cannot tell; advisory ones only warn.
    required: ClassVar[bool]
    #: Message id of the short title (English source; translated by the catalogs).
    title: ClassVar[str]
    #: Platforms the check applies to; elsewhere the runner reports ``skip``.
    platforms: ClassVar[frozenset[Platform]] = frozenset(Platform)
    #: Time budget in seconds; the runner cuts the check off and reports ``error`` past it.
    timeout_s: ClassVar[float] = 10.0
    #: gettext domain and catalog folder of the check's messages (third-party plugins ship their
    #: own catalogs; the built-in checks use precheck's).
    domain: ClassVar[str] = "precheck"
    locale_dir: ClassVar[Path | None] = None
    #: What the check needs from the person and the devices (the app orders the run by it).
    needs: ClassVar[frozenset[Need]] = frozenset()
    #: A plugin's own policy section, ``[<check id>]``, with its defaults: ``ctx.policy.section
    #: (self.id)`` gives these values, or those of a policy file that sets the section. Built-in
    #: checks keep their sections in precheck's policy files instead (None here).
    policy_defaults: ClassVar[Mapping[str, Any] | None] = None

    @abstractmethod
    def run(self, ctx: Context) -> Result:
        """Judge the facts in ``ctx.system`` against ``ctx.policy``."""

    # Result helpers: ``msgid`` is an N_()-marked English string with ``{name}`` fields filled
    # from ``args``; ``fix`` lists the steps that resolve the problem, most useful first.

    def passed(self, msgid: str, *, evidence: Mapping[str, object] | None = None,
               **args: object) -> Result:
        return self._result(Status.PASS, msgid, (), evidence, args)

    def warn(self, msgid: str, *, fix: Iterable[FixStep] = (),
             evidence: Mapping[str, object] | None = None, **args: object) -> Result:
        return self._result(Status.WARN, msgid, fix, evidence, args)

    def fail(self, msgid: str, *, fix: Iterable[FixStep] = (),
             evidence: Mapping[str, object] | None = None, **args: object) -> Result:
        return self._result(Status.FAIL, msgid, fix, evidence, args)

    def skip(self, msgid: str, *, evidence: Mapping[str, object] | None = None,
             **args: object) -> Result:
        return self._result(Status.SKIP, msgid, (), evidence, args)

    def error(self, msgid: str, *, fix: Iterable[FixStep] = (),
              evidence: Mapping[str, object] | None = None, **args: object) -> Result:
        return self._result(Status.ERROR, msgid, fix, evidence, args)

    def _result(self, status: Status, msgid: str, fix: Iterable[FixStep],
                evidence: Mapping[str, object] | None, args: Mapping[str, object]) -> Result:
        steps = tuple(step if isinstance(step, Message) else Message.of(step) for step in fix)
        frozen_evidence = freeze(evidence or {})
        return Result(self.id, status, Message.of(msgid, **args), frozen_evidence, steps)


def check_problems(cls: object) -> list[str]:
    """What is wrong with a loaded plugin object's metadata; empty when it is a valid check."""
    if not (isinstance(cls, type) and issubclass(cls, Check)):
        return [f"{cls!r} is not a subclass of precheck.api.Check"]
    problems: list[str] = []
    if getattr(cls, "__abstractmethods__", None):
        problems.append("does not implement run()")
    ident = getattr(cls, "id", None)
    if not isinstance(ident, str) or not ID_PATTERN.match(ident):
        problems.append(f"id {ident!r} is not a dotted lower-case name like 'security.firewall'")
    article = getattr(cls, "article", None)
    if not isinstance(article, str) or not ARTICLE_PATTERN.match(article):
        problems.append(f"article {article!r} is not like '5(4)', 'flyer' or 'vendor:what'")
    if not isinstance(getattr(cls, "required", None), bool):
        problems.append("required must be True or False")
    title = getattr(cls, "title", None)
    if not isinstance(title, str) or not title.strip():
        problems.append("title must be a non-empty message id")
    timeout = getattr(cls, "timeout_s", None)
    if not isinstance(timeout, int | float) or not 0 < timeout <= MAX_TIMEOUT_S:
        problems.append(f"timeout_s {timeout!r} must be a number in (0, {MAX_TIMEOUT_S:g}]")
    platforms = getattr(cls, "platforms", None)
    if not isinstance(platforms, frozenset) or not platforms or not all(
        isinstance(p, Platform) for p in platforms
    ):
        problems.append("platforms must be a non-empty frozenset of precheck.api.Platform")
    needs = getattr(cls, "needs", None)
    if not isinstance(needs, frozenset) or not all(isinstance(n, Need) for n in needs):
        problems.append("needs must be a frozenset of precheck.api.Need")
    defaults = getattr(cls, "policy_defaults", None)
    if defaults is not None and not isinstance(defaults, Mapping):
        problems.append("policy_defaults must be a mapping (the section's default values)")
    return problems

