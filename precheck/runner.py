"""Runs checks concurrently, each within its own time budget.

Every check runs in its own daemon thread. A check that raises becomes ``error`` with the reason;
a check that outlives its budget is abandoned and becomes ``error`` ("did not finish within N s").
Neither delays or breaks the others: a hung thread is left behind (a daemon thread never keeps
precheck from exiting) and any answer it gives later is ignored. Probes that run commands have
their own time-outs, so a hung probe's child process is killed as well.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from precheck.api import Check, Context
from precheck.errors import ProbeError, ProbeMissing
from precheck.plugins import Catalog, PluginFailure, Provider
from precheck.result import N_, Message, Result, Status, Value, freeze
from precheck.system import JSON, Backend, Platform, System

log = logging.getLogger(__name__)

DEFAULT_PARALLEL = 8
#: What a person reads when a probe failed. The probe's name and its own words (for the staff)
#: are kept in the message's arguments and the evidence, never in the sentence itself.
_PROBE_ERROR_MESSAGES = {
    "not_found": N_("A part of the system this check needs is missing"),
    "timeout": N_("The computer did not answer in time"),
    "denied": N_("This computer did not allow this to be read"),
    "language": N_("The computer answered in a language precheck does not read yet"),
    "malformed": N_("precheck could not understand the computer's answer"),
    "sound_library_missing": N_("The sound library precheck uses (PortAudio) is not installed "
                                "on this computer"),
}
#: Fixes for the kinds of probe error that have their own; the others: check again or send.
_PROBE_ERROR_FIXES = {
    "language": N_("The computer is set to a display language precheck does not read yet. Save "
                   "the diagnostic file and send it to the Hello Work staff, or switch the "
                   "display language to Japanese or English and check again."),
    "malformed": N_("Check this item again. If the same message comes back, save the diagnostic "
                    "file and send it to the Hello Work staff: this version of the system answers "
                    "in a way precheck does not read yet."),
    "sound_library_missing": N_("Install the PortAudio sound library: on Debian, Ubuntu or "
                                "Linux Mint run \"sudo apt install libportaudio2\" in a "
                                "terminal, on Fedora \"sudo dnf install portaudio\". Then check "
                                "again."),
}
AGAIN_OR_SEND = N_("Check this item again. If the same happens again, save the diagnostic file "
                   "and send it to the Hello Work staff.")


@dataclass(frozen=True, slots=True)
class CheckMeta:
    """What the report says about a check besides its result."""

    id: str
    article: str
    required: bool
    title: Message
    domain: str = "precheck"
    locale_dir: Path | None = None
    #: The distribution that registered the check (None: not a plugin, e.g. a declaration).
    provider: Provider | None = None

    @classmethod
    def of(cls, check: type[Check], provider: Provider | None = None) -> CheckMeta:
        return cls(check.id, check.article, check.required, Message.of(check.title),
                   check.domain, check.locale_dir, provider)

    @classmethod
    def broken(cls, failure: PluginFailure, provider: Provider | None = None) -> CheckMeta:
        # Its metadata could not be trusted, so whether it is required cannot be told either:
        # treat it as required, since "could not tell" is never a pass.
        return cls(failure.name, "unknown", True,
                   Message.of(N_("Check plugin {name}"), name=failure.name), provider=provider)


@dataclass(frozen=True, slots=True)
class Outcome:
    """One check's metadata and result."""

    meta: CheckMeta
    result: Result


def verdict(outcomes: Sequence[Outcome]) -> Status:
    """PASS when no required check failed or could not tell; FAIL otherwise."""
    blocked = any(o.meta.required and o.result.status.blocks for o in outcomes)
    return Status.FAIL if blocked else Status.PASS


class Runner:
    """Runs a catalog's checks against one context.

    ``iter_results`` yields each outcome as it finishes (for live displays); ``run`` returns
    them all in catalog order. ``on_start`` is called with a check id when its thread starts.
    """

    def __init__(self, catalog: Catalog, ctx: Context, *, parallel: int = DEFAULT_PARALLEL,
                 on_start: Callable[[str], None] | None = None) -> None:
        self.catalog = catalog
        self.ctx = ctx
        self.parallel = max(1, parallel)
        self.on_start = on_start
        self._cancelled = threading.Event()

    def cancel(self) -> None:
        """Start no more checks; ``iter_results`` stops after the current wait."""
        self._cancelled.set()

    def run(self) -> list[Outcome]:
        order = {cid: i for i, cid in enumerate(self.catalog.ids)}
        return sorted(self.iter_results(), key=lambda o: order[o.meta.id])

    def iter_results(self) -> Iterator[Outcome]:
        for failure in self.catalog.failures:
            provider = self.catalog.providers.get(failure.name)
            yield Outcome(CheckMeta.broken(failure, provider), Result(
                failure.name, Status.ERROR,
                Message.of(N_("This check could not be loaded: {reason}"), reason=failure.reason),
                fix=(Message.of(N_("Reinstall precheck, or remove the plugin package {package}."),
                                package=failure.package),),
            ))
        pending = list(self.catalog.checks)
        running: dict[str, tuple[type[Check], float]] = {}  # id -> (check, deadline)
        finished: queue.SimpleQueue[tuple[str, Result]] = queue.SimpleQueue()
        while (pending or running) and not self._cancelled.is_set():
            while pending and len(running) < self.parallel:
                check = pending.pop(0)
                if self.ctx.system.platform not in check.platforms:
                    yield Outcome(self._meta(check), _not_applicable(check, self.ctx))
                    continue
                running[check.id] = (check, time.monotonic() + check.timeout_s)
                self._start(check, finished)
            if not running:
                continue
            wait = max(0.0, min(deadline for _, deadline in running.values()) - time.monotonic())
            try:
                check_id, result = finished.get(timeout=wait)
            except queue.Empty:
                pass
            else:
                if check_id in running:  # else: it had already been cut off; ignore
                    check, _ = running.pop(check_id)
                    yield Outcome(self._meta(check), result)
            now = time.monotonic()
            for check_id, (check, deadline) in list(running.items()):
                if now >= deadline:
                    del running[check_id]
                    log.warning("check %s exceeded its %.1f s budget", check_id, check.timeout_s)
                    yield Outcome(self._meta(check), _timed_out(check))

    def _meta(self, check: type[Check]) -> CheckMeta:
        return CheckMeta.of(check, self.catalog.providers.get(check.id))

    def _start(self, check: type[Check], finished: queue.SimpleQueue[tuple[str, Result]]) -> None:
        def work() -> None:
            started = time.monotonic()
            result = _run_one(check, self.ctx)
            finished.put((check.id, result.with_duration(time.monotonic() - started)))

        if self.on_start is not None:
            self.on_start(check.id)
        threading.Thread(target=work, name=f"check:{check.id}", daemon=True).start()


class _Reading:
    """A view of the run's backend that notes which probes one check asked and which could not
    answer, so each result's evidence says what the check read and what it could not."""

    def __init__(self, backend: Backend) -> None:
        self._backend = backend
        self.read: list[str] = []
        self.unread: list[str] = []

    @property
    def platform(self) -> Platform:
        return self._backend.platform

    def answer(self, name: str, produce: Callable[[], JSON]) -> JSON:
        try:
            value = self._backend.answer(name, produce)
        except ProbeError as exc:
            _note(self.unread, f"{_short(name)} ({exc.kind})")
            raise
        _note(self.read, _short(name))
        return value


def _note(names: list[str], name: str) -> None:
    if name not in names:
        names.append(name)


def _short(probe: str) -> str:
    """A probe's name as evidence: long command lines are cut (never a value, only the name)."""
    return probe if len(probe) <= 60 else probe[:59] + "…"


def _run_one(check: type[Check], ctx: Context) -> Result:
    """Run one check, turning what it raises into an ``error`` result with the reason. The
    result's evidence gains ``probes_read`` and ``probes_unread``: the probes the check asked,
    by name, and those that could not answer with the reason's kind."""
    reading = _Reading(ctx.system.backend)
    result = _judge(check, Context(System(reading), ctx.policy), reading)
    if result.status is Status.SKIP and not reading.read and not reading.unread:
        return result
    extra = {"probes_read": reading.read, "probes_unread": reading.unread}
    evidence = {**extra, **result.evidence}  # a check's own keys win
    return Result(result.check_id, result.status, result.summary, freeze(evidence), result.fix,
                  result.duration_s)


def _judge(check: type[Check], ctx: Context, reading: _Reading) -> Result:
    try:
        result = check().run(ctx)
    except ProbeMissing as exc:
        return _error(check, Message.of(
            N_("The diagnostic file has no recording for this check"), probe=exc.probe),
            N_("Collect a new diagnostic file with this version of precheck."),
            {"probe": exc.probe})
    except ProbeError as exc:
        # An answer that came back but could not be understood (a parser's ProbeError) is
        # "could not read" too, not "read".
        name = _short(exc.probe)
        if name in reading.read:
            reading.read.remove(name)
        _note(reading.unread, f"{name} ({exc.kind})")
        msgid = _PROBE_ERROR_MESSAGES.get(exc.kind, N_("Could not read what this check needs"))
        return _error(check, Message.of(msgid, probe=exc.probe),
                      _PROBE_ERROR_FIXES.get(exc.kind, AGAIN_OR_SEND),
                      {"probe": exc.probe, "error": exc.message})
    except Exception as exc:
        log.exception("check %s crashed", check.id)
        error = f"{type(exc).__name__}: {exc}"
        return _error(check, Message.of(N_("The check stopped because of an error in precheck"),
                                        error=error), AGAIN_OR_SEND, {"error": error})
    if not isinstance(result, Result) or result.check_id != check.id:
        return _error(check, Message.of(N_("The check returned no valid result")),
                      N_("Reinstall precheck, or remove the plugin package that provides it."))
    return result


def _error(check: type[Check], summary: Message, fix: str,
           evidence: dict[str, Value] | None = None) -> Result:
    return Result(check.id, Status.ERROR, summary, fix=(Message.of(fix),),
                  evidence=evidence or {})


def _timed_out(check: type[Check]) -> Result:
    return Result(
        check.id, Status.ERROR,
        Message.of(N_("The check did not finish within {seconds} s"), seconds=check.timeout_s),
        fix=(Message.of(N_("Close programs you do not need and check again. If it still "
                           "does not finish, restart the computer.")),),
        duration_s=check.timeout_s,
    )


def _not_applicable(check: type[Check], ctx: Context) -> Result:
    return Result(check.id, Status.SKIP, Message.of(
        N_("This check does not apply to {platform}"), platform=str(ctx.system.platform)))
