"""Sample reports made from real outcomes: the real runner and built-in checks on this machine,
plus a few outcomes built from the core's own types for what this machine cannot show (a
required check that fails, nested messages, markup in arguments)."""

from __future__ import annotations

import copy
import secrets
from datetime import UTC, datetime
from functools import cache
from typing import Any, ClassVar

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from precheck import plugins, probes
from precheck import policy as policies
from precheck.api import Context
from precheck.probes import OsInfo
from precheck.reports.build import build_report
from precheck.reports.signing import Identity, device_id, sign
from precheck.result import Message, Result, Status
from precheck.runner import CheckMeta, Outcome, Runner
from precheck.system import Platform, System

CREATED = datetime(2026, 11, 23, 1, 2, 3, 456789, tzinfo=UTC)
#: INVENTED: a plausible Windows 11 platform, not read from a machine.
WINDOWS = OsInfo(Platform.WINDOWS, "windows", "Windows 11 Pro", "23H2", "22631.4460",
                 "Professional", "AMD64")


def synthetic_outcomes() -> list[Outcome]:
    """Outcomes this machine does not produce: blocking, error, nested and hostile arguments."""
    firewall = CheckMeta("test.firewall", "5(4)", True, Message.of("Firewall"))
    antivirus = CheckMeta("test.antivirus", "5(6)", True, Message.of("Antivirus"))
    network = CheckMeta("test.network", "5(2)", False, Message.of("Network"))
    return [
        Outcome(firewall, Result(
            "test.firewall", Status.FAIL,
            Message.of("Firewall is off for: {names}", names=("Public", "Private")),
            evidence={"off_profiles": ("Public", "Private"), "ratio": 0.5},
            fix=(Message.of("Turn the firewall on for {profile}",
                            profile=Message.of("the {name} network", name="Public")),),
            duration_s=0.0123)),
        Outcome(antivirus, Result(
            "test.antivirus", Status.ERROR,
            Message.of("Could not read {probe}", probe="<script>alert('x')</script>"),
            fix=(Message.of("Run precheck again."),), duration_s=2.5)),
        Outcome(network, Result("test.network", Status.WARN,
                                Message.of("Latency {ms} ms", ms=180.25),
                                evidence={"latency_ms": 180.25, "wifi": None})),
    ]


@cache
def live_run() -> tuple[tuple[Outcome, ...], OsInfo, str | None, datetime]:
    ctx = Context(System.live(), policies.builtin())
    outcomes = Runner(plugins.load(), ctx).run()
    system = ctx.system
    return tuple(outcomes), probes.os_info(system), probes.machine_id(system), system.now()


def memory_identity() -> Identity:
    """An identity that never touches a file (for reports made at collection time)."""
    return Identity(Ed25519PrivateKey.generate(), secrets.token_bytes(32))


class PluginWithPolicy:
    """What :func:`precheck.policy.with_plugin_sections` reads of a plugin check that declares
    its own policy section (INVENTED values), so the sample report holds ``policy.plugins``."""

    id = "test.plugin"
    policy_defaults: ClassVar[dict[str, Any]] = {"min_free_gb": 10, "paths": ["/"]}


def sample_policy() -> policies.Policy:
    """The built-in policy with one plugin section in force."""
    return policies.with_plugin_sections(policies.builtin(), [PluginWithPolicy])


def live_report(identity: Identity, challenge: str | None = None) -> dict[str, Any]:
    """The unsigned report of this machine's real outcomes and the synthetic ones."""
    outcomes, os_info, machine, created = live_run()
    return build_report(list(outcomes) + synthetic_outcomes(), policy=sample_policy(),
                        os_info=os_info, device_id=device_id(identity, machine),
                        created=created, challenge=challenge)


@cache
def _signed_live_report() -> dict[str, Any]:
    identity = memory_identity()
    return sign(live_report(identity, challenge="nonce-123"), identity)


def signed_live_report() -> dict[str, Any]:
    """A signed report of this machine plus the synthetic outcomes (a fresh copy each call)."""
    return copy.deepcopy(_signed_live_report())
