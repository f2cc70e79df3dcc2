"""One job seeker's pre-check as the app drives it: runs, re-runs, declarations and the report.

Plain Python over :mod:`precheck.session` (no Textual): a run is an
:class:`~precheck.session.Evaluation` of all checks or of the ones the job seeker re-runs after
fixing something. Each re-run asks this computer afresh (a new live system: the old one remembers
its answers), and the newest outcome of each check counts. The report is made by
:func:`precheck.session.signed_report` from those outcomes plus the declarations.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from precheck import declarations
from precheck.api import Check, Context, Need
from precheck.errors import PrecheckError
from precheck.runner import Outcome, Runner
from precheck.session import Evaluation, evaluate, signed_report
from precheck.system import LiveBackend, Record

if TYPE_CHECKING:
    from pathlib import Path

    from precheck.bundle import Bundle
    from precheck.plugins import Catalog
    from precheck.policy import Policy
    from precheck.tui.offices import OfficeChoice

#: The needs (``Check.needs``) that make a check wait for the job seeker's steps: it runs after
#: they have looked at the preview (which holds the camera and microphone), answered whether the
#: tone was heard and been told the microphone is about to record the room.
DEVICE_NEEDS = frozenset({Need.CAMERA, Need.MICROPHONE, Need.SPEAKER, Need.LISTENER})


def needing(checks: Iterable[type[Check]], needs: Collection[Need]) -> frozenset[str]:
    """The ids of the checks that need any of ``needs``."""
    return frozenset(c.id for c in checks if c.needs & set(needs))


def needs_of(checks: Iterable[type[Check]]) -> frozenset[Need]:
    """Everything the given checks need, together."""
    return frozenset(need for check in checks for need in check.needs)

#: The checks that judge the moment rather than the machine (what runs now). Check-in on the day
#: of the consultation (the app's 当日 path) runs them again just before the report is sent.
ON_THE_DAY = ("software.running", "software.recording")


class NotLive(PrecheckError):
    """A diagnostic bundle was asked for, but the checks replayed a bundle instead of this
    computer."""


@dataclass
class Checkup:
    """The state of one pre-check: every run so far, the declarations and the chosen office.

    ``bundle`` replays a diagnostic bundle instead of asking this computer (staff use, tests).
    """

    catalog: Catalog
    policy: Policy
    bundle: Bundle | None = None
    office: OfficeChoice | None = None
    #: The booking gateway the network checks measure against (the one the app books with).
    gateway_url: str | None = None
    declared: dict[str, bool] = field(
        default_factory=lambda: {d.id: False for d in declarations.DECLARATIONS})
    _runs: list[Evaluation] = field(default_factory=list)
    _latest: dict[str, tuple[Outcome, Evaluation]] = field(default_factory=dict)

    # -- runs -------------------------------------------------------------------------------------

    @property
    def live(self) -> bool:
        """True when the checks ask this computer (not a bundle)."""
        return self.bundle is None

    def begin(self, ids: Collection[str] | None = None) -> Evaluation:
        """A new run over every check, or only ``ids``; its time is fixed now, before any check."""
        catalog = self.catalog if ids is None else self.catalog.select(ids)
        evaluation = evaluate(catalog, self.policy, self.bundle)
        evaluation.created()  # the clock is a recorded probe: the report says when checks began
        if self.live:
            from precheck.probes import network, office

            network.use_gateway(evaluation.system, self.gateway_url)  # as `run --gateway` does
            # software.running spares the chosen office's video app (TeleOffice or Zoom)
            office.use_video_app(evaluation.system, self.office.video_app if self.office else None)
        return evaluation

    def runner(self, evaluation: Evaluation, ids: Collection[str],
               on_start: Callable[[str], None] | None = None) -> Runner:
        """A runner for some of ``evaluation``'s checks, on its system (shared probe answers)."""
        return Runner(evaluation.catalog.select(ids), Context(evaluation.system, self.policy),
                      on_start=on_start)

    def finish(self, evaluation: Evaluation, outcomes: Iterable[Outcome]) -> None:
        """Keep a completed run; its outcomes replace older ones of the same checks."""
        order = {cid: i for i, cid in enumerate(evaluation.catalog.ids)}
        evaluation.outcomes = sorted(outcomes, key=lambda o: order.get(o.meta.id, len(order)))
        self._runs.append(evaluation)
        for outcome in evaluation.outcomes:
            self._latest[outcome.meta.id] = (outcome, evaluation)

    def run_on_the_day(self) -> list[Outcome]:
        """Run the on-the-day checks again now (blocking: call from a worker); their new
        outcomes replace the old ones, so a check-in's report says what runs at check-in."""
        ids = [i for i in ON_THE_DAY if i in self.catalog.ids]
        if not ids:
            return []
        evaluation = self.begin(ids)
        outcomes = self.runner(evaluation, ids).run()
        self.finish(evaluation, outcomes)
        return evaluation.outcomes

    @property
    def has_results(self) -> bool:
        """True once a run has finished (even one with no check in it)."""
        return bool(self._runs)

    def outcomes(self) -> list[Outcome]:
        """The newest outcome of every check that ran, in catalog order."""
        order = {cid: i for i, cid in enumerate(self.catalog.ids)}
        found = [outcome for outcome, _ in self._latest.values()]
        return sorted(found, key=lambda o: order.get(o.meta.id, len(order)))

    # -- declarations -----------------------------------------------------------------------------

    def declare(self, declaration_id: str, confirmed: bool) -> None:
        if declaration_id not in self.declared:
            msg = f"unknown declaration {declaration_id!r}"
            raise KeyError(msg)
        self.declared[declaration_id] = confirmed

    def declaration_outcomes(self) -> list[Outcome]:
        return [declarations.outcome(d, self.declared[d.id]) for d in declarations.DECLARATIONS]

    # -- the report and the bundle ----------------------------------------------------------------

    def report(self, challenge: str | None = None) -> dict[str, Any]:
        """The signed report of the newest outcomes and the declarations.

        Its time is that of the oldest run it draws on, so a gateway's freshness rule judges the
        oldest result, never a re-run's newer time.
        """
        if not self._runs:
            msg = "no check has run yet"
            raise PrecheckError(msg)
        used = {id(ev): ev for _, ev in self._latest.values()} or {0: self._runs[-1]}
        oldest = min(used.values(), key=lambda ev: ev.created())
        combined = Evaluation(oldest.system, self.catalog, oldest.policy, self.bundle,
                              [*self.outcomes(), *self.declaration_outcomes()])
        return signed_report(combined, challenge)

    def save_report(self, path: Path, challenge: str | None = None) -> Path:
        """Write the signed report as JSON (what ``precheck run --report`` writes)."""
        from precheck.reports.render import render_json

        path.write_text(render_json(self.report(challenge)) + "\n", encoding="utf-8")
        return path

    def save_bundle(self, path: Path) -> Path:
        """Write every probe answer behind the newest outcomes as one diagnostic bundle.

        A re-run's answers replace the earlier run's answers to the same probes.
        """
        from precheck import bundle as bundles
        from precheck.reports.signing import Identity, device_id

        runs = [ev for ev in self._runs if any(e is ev for _, e in self._latest.values())]
        if not runs:
            msg = "no check has run yet"
            raise PrecheckError(msg)
        records: dict[str, Record] = {}
        for evaluation in runs:
            backend = evaluation.system.backend
            if not isinstance(backend, LiveBackend):
                msg = "only a run on this computer can be written as a diagnostic bundle"
                raise NotLive(msg)
            evaluation.os_info()  # asked now so that they are recorded too (as write_bundle does)
            records.update((r.name, r) for r in backend.records())
        return bundles.write(path, runs[0].system.platform, records.values(),
                             checks=self.catalog.ids,
                             policy={"version": self.policy.version, "digest": self.policy.digest},
                             device_id=device_id(Identity.load_or_create(), runs[0].machine_id()))
