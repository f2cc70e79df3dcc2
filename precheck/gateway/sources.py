"""The gate's rule for report sources: who may book with which kind of report.

A report says where it came from (``source.kind``): ``live`` (the app or CLI on the device),
``bundle`` (re-judged from a diagnostic bundle; never books, rule ``not_live`` in gate.py) or
``browser`` (the gateway's own check page, ``/check``, signed with the gateway's own key). The
policy (``[gate.sources]``, ``[gate.declarations]`` in precheck/policy/data/gate.toml) says per
device class (pc, phone, tablet) which sources may book, what a browser report must carry, and
which declarations (precheck.declarations) a report must carry, confirmed.

Rules (each with its message in the ``gateway`` catalog):

=======================  =========================================================================
``source_not_allowed``   this source may not book for this device class (a computer's browser
                         report: use the app)
``browser_not_ours``     a browser report not signed by this gateway's browser-check key (anyone
                         can write ``"kind": "browser"``; only the gateway signs it)
``declaration_missing``  a declaration the policy requires is not in the report
=======================  =========================================================================

A browser report is held to its own list of checks (``browser_checks``) instead of the app's
required checks: a browser cannot see a firewall, and the gateway measured what it could.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import TYPE_CHECKING

from precheck.result import N_, Message

if TYPE_CHECKING:
    from precheck.gateway.gate import Reason
    from precheck.policy import Policy
    from precheck.reports.model import Report

SOURCE_NOT_ALLOWED = "source_not_allowed"
BROWSER_NOT_OURS = "browser_not_ours"
DECLARATION_MISSING = "declaration_missing"

BROWSER = "browser"
DEVICE_CLASSES = ("pc", "phone", "tablet")


@dataclass(frozen=True, slots=True)
class SourcePolicy:
    """Which sources may book per device class, and what each source must carry."""

    #: device class -> sources that may book.
    allowed: Mapping[str, frozenset[str]]
    #: check ids a browser report must carry (instead of the app's required checks).
    browser_checks: frozenset[str]
    #: "live", "browser", "browser_pc" -> declaration ids that must be in the report.
    declarations: Mapping[str, frozenset[str]]
    #: key ids of this gateway's browser-check signer (set when the gateway opens).
    browser_keys: frozenset[str] = field(default_factory=frozenset)


def source_policy(policy: Policy | None = None) -> SourcePolicy:
    """The source rules of ``policy`` (the built-in policy by default)."""
    if policy is None:
        from precheck import policy as policies

        policy = policies.builtin()
    sources = policy.section("gate.sources")
    declarations = policy.section("gate.declarations")
    return SourcePolicy(
        MappingProxyType({kind: frozenset(sources[kind]) for kind in DEVICE_CLASSES}),
        frozenset(sources["browser_checks"]),
        MappingProxyType({name: frozenset(ids) for name, ids in declarations.items()}))


def required_checks(model: Report, policy: SourcePolicy, app_required: frozenset[str]
                    ) -> frozenset[str]:
    """The checks this report must carry and not fail (declarations: :func:`reasons`; each is a
    required entry, so one that is there and not confirmed fails like a check)."""
    return policy.browser_checks if model.source.kind == BROWSER else app_required


def _declarations(model: Report, policy: SourcePolicy) -> frozenset[str]:
    if model.source.kind != BROWSER:
        return policy.declarations.get(model.source.kind, frozenset())
    name = "browser_pc" if model.platform.device_class == "pc" else BROWSER
    return policy.declarations.get(name, frozenset())


def reasons(model: Report, key_id: str, policy: SourcePolicy) -> list[Reason]:
    """Every source rule ``model`` (signed by ``key_id``) breaks."""
    from precheck.gateway.gate import Reason

    found: list[Reason] = []
    kind, device = model.source.kind, model.platform.device_class
    if kind == BROWSER and key_id not in policy.browser_keys:
        found.append(Reason(BROWSER_NOT_OURS, Message.of(N_(
            "This report says it comes from the browser check, but this gateway did not sign "
            "it. Do the check on this gateway's check page (/check) and book from there."))))
    if kind in ("live", BROWSER) and kind not in policy.allowed.get(device, frozenset()):
        if kind == BROWSER and device == "pc":
            message = Message.of(N_(
                "On a computer, book with the report of the precheck app: it checks what a "
                "browser cannot see (firewall, antivirus, updates). Install the app, run it and "
                "book with its report."))
        else:
            message = Message.of(N_(
                "This office does not accept a report from {source} for a {device}. Use the "
                "way of checking the booking page names."), source=kind, device=device)
        found.append(Reason(SOURCE_NOT_ALLOWED, message))
    present = {check.id for check in model.checks}
    found += [Reason(DECLARATION_MISSING, Message.of(N_(
        "The declaration {declaration} is not in the report. Confirm every declaration, then "
        "make a new report."), declaration=declaration))
        for declaration in sorted(_declarations(model, policy) - present)]
    return found
