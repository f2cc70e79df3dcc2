"""Outcomes -> the unsigned report document (format version 1).

Every message is stored three ways: its id, its arguments, and its text rendered in Japanese and
English through the check's own gettext domain. The signed report is thus the same whatever
language the job seeker reads, and staff or the gateway can show it without the plugin installed.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, cast

import precheck
from precheck.i18n import Translator
from precheck.result import Message, Value
from precheck.runner import Outcome, verdict

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence
    from pathlib import Path

    from precheck.policy import Policy
    from precheck.probes import OsInfo

REPORT_VERSION = 1
SOURCE_KINDS = ("live", "bundle", "browser")


def build_report(outcomes: Sequence[Outcome], *, policy: Policy, os_info: OsInfo,
                 device_id: str, created: datetime, source_kind: str = "live",
                 bundle_digest: str | None = None, challenge: str | None = None,
                 tool_version: str = precheck.__version__) -> dict[str, Any]:
    """The unsigned report (a plain JSON-able dict without ``signature``), in outcome order.

    ``created`` must be timezone-aware; it is stored in UTC to the second. ``device_id`` comes from
    :func:`precheck.reports.signing.device_id`.
    """
    if source_kind not in SOURCE_KINDS:
        msg = f"source_kind must be one of {', '.join(SOURCE_KINDS)}, not {source_kind!r}"
        raise ValueError(msg)
    translators = [Translator("ja"), Translator("en")]
    checks = [_check(outcome, translators) for outcome in outcomes]
    return {
        "report_version": REPORT_VERSION,
        "tool": {"name": "precheck", "version": tool_version},
        "policy": _policy(policy),
        "created": format_created(created),
        "platform": {
            "os": str(os_info.family),
            "id": os_info.id,
            "name": os_info.name,
            "version": os_info.version,
            "build": os_info.build,
            "edition": os_info.edition,
            "arch": os_info.arch,
            "device": "pc",  # the app runs on computers; the browser check sets its own
        },
        "device_id": device_id,
        "source": {"kind": source_kind, "bundle_digest": bundle_digest},
        "challenge": challenge,
        "checks": checks,
        "verdict": str(verdict(outcomes)),
        "blocking": [o.meta.id for o in outcomes if o.meta.required and o.result.status.blocks],
    }


def format_created(created: datetime) -> str:
    """RFC 3339 in UTC to the second: ``2026-11-23T01:02:03Z``."""
    if created.tzinfo is None or created.utcoffset() is None:
        msg = "the report time must be timezone-aware"
        raise ValueError(msg)
    return created.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _policy(policy: Policy) -> dict[str, Any]:
    """The policy's version and digest, and the plugin sections that digest covers (only when
    there are any: see :func:`precheck.policy.combined_digest`)."""
    entry: dict[str, Any] = {"version": policy.version, "digest": policy.digest}
    if policy.plugins:
        entry["plugins"] = {name: dict(section) for name, section in policy.plugins.items()}
    return entry


def _check(outcome: Outcome, translators: Sequence[Translator]) -> dict[str, Any]:
    meta, result = outcome.meta, outcome.result

    def text(message: Message) -> dict[str, Any]:
        return text_entry(message, translators, meta.domain, meta.locale_dir)

    provider = {} if meta.provider is None else {"provider": meta.provider.to_json()}
    return {
        "id": meta.id,
        "article": meta.article,
        "required": meta.required,
        "title": text(meta.title),
        "status": str(result.status),
        "summary": text(result.summary),
        "evidence": json_args(result.evidence),
        "fix": [text(step) for step in result.fix],
        "duration_ms": max(0, round(result.duration_s * 1000)),
        **provider,
    }


def text_entry(message: Message, translators: Sequence[Translator], domain: str,
               locale_dir: Path | None) -> dict[str, Any]:
    """A message as the report stores it: id, JSON arguments, and its text per language."""
    return {
        "msgid": message.msgid,
        "args": json_args(message.args),
        "text": {t.language: t.render(message, domain, locale_dir) for t in translators},
    }


def json_args(args: Mapping[str, Value]) -> dict[str, Any]:
    """Message arguments or evidence as JSON: lists for tuples, nested messages as
    ``{"msgid", "args"}`` (the form of :meth:`precheck.result.Message.to_json`)."""
    # to_json() is typed loosely (dict[str, object]); its "args" member is always this dict.
    return cast("dict[str, Any]", Message("", args).to_json()["args"])
