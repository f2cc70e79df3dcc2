"""The gate: which reports may make (or check in) a booking, and why a report is refused.

The gateway trusts only what it can check itself (docs/report.md, "Threat model"): the report's
signature and format, the policy version it was judged by, its age, and its own single-use
challenge inside it. The check results are the job seeker's self-check; the gate requires that
every required check is there and did not fail. Each refusal is a :class:`Reason` with a stable
rule code and a message in the ``gateway`` catalog that says how to put it right.

This module is pure: the nonce's state lives in the database, so
:mod:`precheck.gateway.service` checks and consumes it (:func:`challenge_reason` words it).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from precheck.errors import PrecheckError
from precheck.gateway import metrics
from precheck.gateway import sources as report_sources
from precheck.gateway.verify import verify_fast
from precheck.policy import combined_digest
from precheck.result import N_, Message

if TYPE_CHECKING:
    from precheck.gateway.settings import GatewaySettings

#: Languages every message is given in, Japanese first.
LANGUAGES = ("ja", "en")
#: The largest report the gateway reads, on the API and the pages alike.
MAX_REPORT_BYTES = 1024 * 1024

#: Rule codes, stable: clients (the TUI) may act on them.
REPORT_MISSING = "report_missing"
REPORT_FORMAT = "report_format"
UNSIGNED = "unsigned"
SIGNATURE = "signature"
NOT_LIVE = "not_live"
POLICY_UNKNOWN = "policy_unknown"
POLICY_DIGEST = "policy_digest"
STALE = "stale"
FUTURE = "future"
CHALLENGE_MISSING = "challenge_missing"
CHALLENGE_UNKNOWN = "challenge_unknown"
CHALLENGE_EXPIRED = "challenge_expired"
CHALLENGE_USED = "challenge_used"
CHALLENGE_OTHER_OFFICE = "challenge_other_office"
CHECK_MISSING = "check_missing"
CHECK_FAILED = "check_failed"
#: Check-in with a report signed by another device key and without the booking's secret.
NOT_OWNER = "not_owner"

_AGAIN = N_("Run precheck again with a new challenge and book with its report.")


@dataclass(frozen=True, slots=True)
class Reason:
    """One rule a report broke: its code and what to tell the job seeker.

    ``localized`` holds message arguments that differ by language (a check's title as the report
    states it in Japanese and English); they are merged into the arguments when rendered.
    """

    rule: str
    message: Message
    localized: Mapping[str, Mapping[str, str]] = field(
        default_factory=lambda: MappingProxyType({}))

    def render(self, language: str) -> str:
        """The message in ``language`` (ja or en)."""
        return render(self.message, language, self.localized)

    def texts(self) -> dict[str, str]:
        """The message in every language: ``{"ja": ..., "en": ...}``."""
        return {language: self.render(language) for language in LANGUAGES}


def render(message: Message, language: str,
           localized: Mapping[str, Mapping[str, str]] | None = None) -> str:
    """A gateway message in ``language``, with per-language arguments filled in."""
    from precheck.i18n import Translator

    if localized:
        args = dict(message.args)
        args.update({name: texts.get(language, "") for name, texts in localized.items()})
        message = Message.of(message.msgid, **args)
    return Translator(language).render(message, domain="gateway")


class GateRejected(PrecheckError):
    """The report does not let the booking (or check-in) go ahead; ``reasons`` says why."""

    code = "gate_rejected"

    def __init__(self, reasons: Sequence[Reason]) -> None:
        super().__init__("the report was refused: " + ", ".join(r.rule for r in reasons))
        self.reasons = tuple(reasons)
        self.message = Message.of(N_(
            "The pre-check report cannot be accepted. Please fix what is listed and try again."))


@dataclass(frozen=True, slots=True)
class GatePolicy:
    """What the gate accepts (resolved from the settings by :func:`gate_policy`)."""

    #: Policy version -> the digest a report judged by it must carry.
    accepted_policies: Mapping[str, str]
    required_checks: frozenset[str]
    max_age: timedelta
    clock_skew: timedelta
    #: Which report sources may book for which device (sources.py).
    sources: report_sources.SourcePolicy = field(default_factory=report_sources.source_policy)
    #: Required checks whose figures must match what this gateway measured (evidence.py).
    observed_checks: frozenset[str] = frozenset()
    measure_tolerance: float = 0.25
    measure_slack_mbit: float = 1.0


def gate_policy(settings: GatewaySettings, browser_keys: frozenset[str] = frozenset()
                ) -> GatePolicy:
    """The settings' gate, the built-in policy and the built-in required checks filling gaps."""
    accepted = dict(settings.accepted_policies)
    if not accepted:
        from precheck import policy as policies

        builtin = policies.builtin()
        accepted = {builtin.version: builtin.digest}
    required = frozenset(settings.required_checks) or builtin_required_checks()
    return GatePolicy(MappingProxyType(accepted), required, settings.report_max_age,
                      settings.clock_skew,
                      replace(report_sources.source_policy(), browser_keys=browser_keys),
                      frozenset(settings.observed_checks) & required,
                      settings.measure_tolerance, settings.measure_slack_mbit)


def builtin_required_checks() -> frozenset[str]:
    """The checks the built-in policy names as required for booking (``[gateway]
    required_checks``): named, never inferred from the plugins installed on the server."""
    from precheck import policy as policies

    return frozenset(policies.builtin().section("gateway")["required_checks"])


@dataclass(frozen=True, slots=True)
class AcceptedReport:
    """A report whose signature, format, policy, age and checks passed the gate.

    Its nonce (``challenge``) still has to be consumed by the service.
    """

    document: Mapping[str, Any]
    digest: str
    key_id: str
    device_id: str
    challenge: str
    created: datetime
    verdict: str
    #: The evidence of the checks the gate compares with its own measurements, by check id.
    observed: Mapping[str, Mapping[str, Any]] = field(
        default_factory=lambda: MappingProxyType({}))


@dataclass(frozen=True, slots=True)
class Inspection:
    """What the gate found: the report when it passed, else every reason it did not."""

    accepted: AcceptedReport | None
    reasons: tuple[Reason, ...]
    #: The report's challenge when it could be read, even if the report was refused.
    challenge: str | None = None
    device_id: str | None = None
    #: The key that signed it, when the signature held (even if the report was refused).
    key_id: str | None = None


def digest_of(document: Mapping[str, Any]) -> str:
    """``sha256:`` and the SHA-256 of the report's RFC 8785 form, signature included."""
    from precheck.reports.canonical import canonical_bytes

    return "sha256:" + hashlib.sha256(canonical_bytes(document)).hexdigest()


@metrics.timed_gate
def inspect(report: object, policy: GatePolicy, now: datetime) -> Inspection:
    """Check everything about ``report`` that needs no database; never raises for bad input.

    A report that is not signed, not well-formed or not intact stops the inspection there (its
    content cannot be believed); otherwise every other broken rule is listed.
    """
    if report is None:
        return _refused(Reason(REPORT_MISSING, Message.of(N_(
            "No pre-check report came with the request. Run precheck, then book with "
            "its report."))))
    if not isinstance(report, Mapping):
        return _refused(_format_reason("the report is not a JSON object"))
    if report.get("signature") is None:
        return _refused(Reason(UNSIGNED, Message.of(N_(
            "The report is not signed. Book with the report precheck wrote, unchanged."))))
    found = _verified(report)
    if isinstance(found, Reason):
        return _refused(found)
    verified, digest = found
    model = verified.report
    try:
        created = datetime.strptime(model.created, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    except ValueError:  # e.g. 2026-02-30: the pattern allows it, the calendar does not
        return _refused(_format_reason(f"created is not a real moment: {model.created[:40]}"))
    reasons: list[Reason] = _source_reasons(model.source.kind)
    expected_digest = policy.accepted_policies.get(model.policy.version)
    if expected_digest is None:
        reasons.append(Reason(POLICY_UNKNOWN, Message.of(N_(
            "The report was judged by policy {version}, which this office does not accept "
            "(it accepts {accepted}). Update precheck and run it again."),
            version=model.policy.version, accepted=tuple(sorted(policy.accepted_policies)))))
    elif model.policy.digest != combined_digest(expected_digest, model.policy.plugins or {}):
        reasons.append(Reason(POLICY_DIGEST, Message.of(N_(
            "The report's policy {version} differs from the published one (a changed policy "
            "file?). Run precheck with its built-in policy."), version=model.policy.version)))
    age = now - created
    if age > policy.max_age:
        reasons.append(Reason(STALE, Message.of(N_(
            "The report is {minutes} minutes old; it must be at most {limit} minutes old. "
            "Run precheck again and book with the new report."),
            minutes=int(age.total_seconds() // 60), limit=_minutes(policy.max_age))))
    elif -age > policy.clock_skew:
        reasons.append(Reason(FUTURE, Message.of(N_(
            "The report is dated {minutes} minutes in the future. Set your computer's clock "
            "right (automatic time), then run precheck again."),
            minutes=int(-age.total_seconds() // 60))))
    if not model.challenge:
        reasons.append(Reason(CHALLENGE_MISSING, Message.of(N_(
            "The report does not carry this office's challenge. Get a challenge from the "
            "booking page and run precheck with it (precheck run --challenge ...)."))))
    reasons += report_sources.reasons(model, verified.key_id, policy.sources)
    reasons += _check_reasons(model.checks, report_sources.required_checks(
        model, policy.sources, policy.required_checks))
    if reasons:
        return Inspection(None, tuple(reasons), model.challenge, model.device_id,
                          verified.key_id)
    assert model.challenge is not None  # noqa: S101 - CHALLENGE_MISSING above covers None
    observed = {check.id: MappingProxyType(dict(check.evidence or {})) for check in model.checks
                if check.id in policy.observed_checks}
    accepted = AcceptedReport(report, digest or digest_of(report), verified.key_id,
                              model.device_id,
                              model.challenge, created, model.verdict,
                              MappingProxyType(observed))
    return Inspection(accepted, (), model.challenge, model.device_id, verified.key_id)


def _source_reasons(kind: str) -> list[Reason]:
    """A report re-judged from a diagnostic bundle never books. Which of the other sources
    (``live``, ``browser``) may book for which device is the policy's (sources.py)."""
    if kind != "bundle":
        return []
    return [Reason(NOT_LIVE, Message.of(N_(
        "The report was made from a diagnostic bundle, not on this computer now. "
        "Run precheck on the computer you will use for the consultation.")))]


def _verified(report: Mapping[str, Any]) -> tuple[Any, str | None] | Reason:
    """The verified report (and its digest when the fast path made it), or why not."""
    from precheck.reports.errors import ReportInvalid
    from precheck.reports.signing import verify

    try:
        fast = verify_fast(report)
        if fast is not None:
            return fast
        return verify(report), None  # refused, or no compiled validator: the full path decides
    except ReportInvalid as exc:
        return _invalid_reason(report, str(exc))
    except (RecursionError, ValueError, TypeError) as exc:  # e.g. JSON too deep to canonicalise
        return _format_reason(f"the report cannot be read ({type(exc).__name__})")


def _check_reasons(checks: Sequence[Any], required: frozenset[str]) -> list[Reason]:
    present = {check.id for check in checks}
    reasons = [Reason(CHECK_MISSING, Message.of(N_(
        "The required check {check} is not in the report. Run every check: "
        "precheck run, without --only."), check=check_id))
        for check_id in sorted(required - present)]
    for check in checks:
        # The gateway's policy names what it requires; only an entry no package provides (the
        # app's declarations, a plugin that did not load) still counts by the report's own word.
        named = check.id in required or (check.required and check.provider is None)
        if named and check.status in ("fail", "error"):
            message = (N_("The required check \u201c{title}\u201d did not pass: {summary} "
                          "Fix it as the report says, then run precheck again.")
                       if check.status == "fail" else
                       N_("The required check \u201c{title}\u201d could not tell: {summary} "
                          "Fix it as the report says, then run precheck again."))
            reasons.append(Reason(
                CHECK_FAILED, Message.of(message, check=check.id),
                MappingProxyType({"title": {"ja": check.title.text.ja, "en": check.title.text.en},
                                  "summary": {"ja": check.summary.text.ja,
                                              "en": check.summary.text.en}})))
    return reasons


def _invalid_reason(report: Mapping[str, Any], detail: str) -> Reason:
    """ReportInvalid covers format and signature: the format is judged again to tell them apart
    (only on this failure path, so an accepted report is validated once)."""
    from pydantic import ValidationError

    from precheck.reports.errors import ReportInvalid
    from precheck.reports.model import Report
    from precheck.reports.schema import validate

    try:
        validate(report)
        Report.model_validate(report)
    except (ReportInvalid, ValidationError):
        return _format_reason(detail)
    return Reason(SIGNATURE, Message.of(N_(
        "The report's signature does not hold ({detail}): it was changed after precheck "
        "signed it. Book with the report precheck wrote, unchanged."), detail=detail))


def _format_reason(detail: str) -> Reason:
    return Reason(REPORT_FORMAT, Message.of(N_(
        "This is not a precheck report this gateway can read ({detail}). Update precheck, "
        "run it again and book with its report."), detail=detail[:300]))


def challenge_reason(rule: str) -> Reason:
    """The reason for a nonce the database does not accept (see the CHALLENGE_* codes)."""
    messages = {
        CHALLENGE_UNKNOWN: N_("The report's challenge was not issued by this gateway."),
        CHALLENGE_EXPIRED: N_("The report's challenge has expired."),
        CHALLENGE_USED: N_("The report's challenge was already used: each challenge works once."),
        CHALLENGE_OTHER_OFFICE: N_("The report's challenge was issued for another office."),
    }
    return Reason(rule, Message.of(N_("{problem} {again}"),
                                   problem=Message.of(messages[rule]),
                                   again=Message.of(_AGAIN)))


def _minutes(delta: timedelta) -> int:
    return int(delta.total_seconds() // 60)


def _refused(reason: Reason) -> Inspection:
    return Inspection(None, (reason,))
