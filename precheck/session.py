"""One pre-check from start to signed report, shared by the CLI and the TUI.

``evaluate`` runs the checks against this machine (recording every probe) or against a bundle;
``signed_report`` turns the outcome into the signed report document.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from precheck.api import Context
from precheck.errors import ProbeError
from precheck.probes import OsInfo
from precheck.runner import Outcome, Runner
from precheck.system import LiveBackend, ReplayBackend, System

if TYPE_CHECKING:
    from precheck.bundle import Bundle
    from precheck.plugins import Catalog
    from precheck.policy import Policy


@dataclass(slots=True)
class Evaluation:
    """The outcomes of one run and the facts a report needs about where they came from."""

    system: System
    catalog: Catalog
    policy: Policy
    bundle: Bundle | None = None
    outcomes: list[Outcome] = field(default_factory=list)

    def runner(self, on_start: Callable[[str], None] | None = None) -> Runner:
        return Runner(self.catalog, Context(self.system, self.policy), on_start=on_start)

    def run(self, on_start: Callable[[str], None] | None = None) -> list[Outcome]:
        self.outcomes = self.runner(on_start).run()
        return self.outcomes

    def iter_run(self, on_start: Callable[[str], None] | None = None) -> Iterator[Outcome]:
        """Yield outcomes as they finish; ``outcomes`` holds them all in catalog order after."""
        order = {cid: i for i, cid in enumerate(self.catalog.ids)}
        done: list[Outcome] = []
        for outcome in self.runner(on_start).iter_results():
            done.append(outcome)
            yield outcome
        self.outcomes = sorted(done, key=lambda o: order[o.meta.id])

    @property
    def live_backend(self) -> LiveBackend | None:
        backend = self.system.backend
        return backend if isinstance(backend, LiveBackend) else None

    def os_info(self) -> OsInfo:
        try:
            return self.system.os_info()
        except ProbeError:
            platform = self.system.platform
            return OsInfo(platform, str(platform), "unknown", "")

    def machine_id(self) -> str | None:
        try:
            return self.system.machine_id()
        except ProbeError:
            return None

    def created(self) -> datetime:
        return self.system.now()


def evaluate(catalog: Catalog, policy: Policy, bundle: Bundle | None = None) -> Evaluation:
    """Prepare a run against this machine, or against a bundle's recorded answers."""
    if bundle is None:
        system = System(LiveBackend())
    else:
        system = System(ReplayBackend(bundle.platform, bundle.records))
    return Evaluation(system, catalog, policy, bundle)


def signed_report(evaluation: Evaluation, challenge: str | None = None) -> dict[str, Any]:
    """The signed report of a finished evaluation, with this installation's key."""
    from reports.build import build_report
    from reports.signing import Identity, device_id, sign

    identity = Identity.load_or_create()
    bundle = evaluation.bundle
    document = build_report(
        evaluation.outcomes,
        policy=evaluation.policy,
        os_info=evaluation.os_info(),
        device_id=device_id(identity, evaluation.machine_id()),
        created=evaluation.created(),
        source_kind="live" if bundle is None else "bundle",
        bundle_digest=None if bundle is None else bundle.digest,
        challenge=challenge,
    )
    return sign(document, identity)
