"""One pre-check from start to signed report, shared by the CLI and the TUI.

``evaluate`` runs the checks against this machine (recording every probe) or against a bundle;
``signed_report`` turns the outcome into the signed report document.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from precheck import probes
from precheck.api import Context
from precheck.errors import PrecheckError, ProbeError
from precheck.probes import OsInfo
from precheck.runner import Outcome, Runner
from precheck.system import LiveBackend, ReplayBackend, System

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

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

    def run(self, on_outcome: Callable[[Outcome], None] | None = None) -> list[Outcome]:
        """Run every check; ``on_outcome`` hears of each as it finishes (a live display)."""
        runner = Runner(self.catalog, Context(self.system, self.policy))
        if on_outcome is None:
            self.outcomes = runner.run()
            return self.outcomes
        order = {cid: i for i, cid in enumerate(self.catalog.ids)}
        found: list[Outcome] = []
        for outcome in runner.iter_results():
            on_outcome(outcome)
            found.append(outcome)
        self.outcomes = sorted(found, key=lambda o: order.get(o.meta.id, len(order)))
        return self.outcomes

    def os_info(self) -> OsInfo:
        try:
            return probes.os_info(self.system)
        except ProbeError:
            platform = self.system.platform
            return OsInfo(platform, str(platform), "unknown", "")

    def machine_id(self) -> str | None:
        try:
            return probes.machine_id(self.system)
        except ProbeError:
            return None

    def created(self) -> datetime:
        return self.system.now()

    def write_bundle(self, path: Path) -> Path:
        """Write what this live run's probes answered, with the facts a replayed report needs."""
        from precheck import bundle as bundles

        backend = self.system.backend
        if not isinstance(backend, LiveBackend):
            msg = "only a run on this computer can be written as a diagnostic bundle"
            raise PrecheckError(msg)
        from precheck.reports.signing import Identity, device_id

        self.os_info()  # asked now so that they are recorded too
        self.created()
        return bundles.write(path, self.system.platform, backend.records(),
                             checks=self.catalog.ids,
                             policy={"version": self.policy.version, "digest": self.policy.digest},
                             device_id=device_id(Identity.load_or_create(), self.machine_id()))


def evaluate(catalog: Catalog, policy: Policy, bundle: Bundle | None = None) -> Evaluation:
    """Prepare a run against this machine, or against a bundle's recorded answers.

    The policy gains the sections of the catalog's plugin checks it lacks (their defaults).
    """
    from precheck.policy import with_plugin_sections

    policy = with_plugin_sections(policy, catalog.checks)
    if bundle is None:
        system = System(LiveBackend())
    else:
        system = System(ReplayBackend(bundle.platform, bundle.records))
    return Evaluation(system, catalog, policy, bundle)


def signed_report(evaluation: Evaluation, challenge: str | None = None) -> dict[str, Any]:
    """The signed report of a finished evaluation, with this installation's key."""
    from precheck.reports.build import build_report
    from precheck.reports.signing import Identity, device_id, sign

    identity = Identity.load_or_create()
    bundle = evaluation.bundle
    document = build_report(
        evaluation.outcomes,
        policy=evaluation.policy,
        os_info=evaluation.os_info(),
        # A replayed bundle keeps the pseudonym its own installation gave the device (the
        # machine id is not in a bundle): staff can match it with the job seeker's reports.
        device_id=(bundle.device_id if bundle is not None and bundle.device_id
                   else device_id(identity, evaluation.machine_id())),
        created=evaluation.created(),
        source_kind="live" if bundle is None else "bundle",
        bundle_digest=None if bundle is None else bundle.digest,
        challenge=challenge,
    )
    return sign(document, identity)
