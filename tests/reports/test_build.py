"""Building the unsigned report from real outcomes."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from precheck import policy as policies
from precheck.i18n import Translator
from precheck.probes import OsInfo
from precheck.reports.build import build_report
from precheck.result import Message, Result, Status
from precheck.runner import CheckMeta, Outcome, verdict
from tests.reports.samples import CREATED, WINDOWS, synthetic_outcomes

DEVICE = "d1-" + "0" * 32

Live = tuple[list[Outcome], OsInfo, "str | None", datetime]


def build(outcomes: list[Outcome], **options: Any) -> dict[str, Any]:
    defaults: dict[str, Any] = {"policy": policies.builtin(), "os_info": WINDOWS,
                                "device_id": DEVICE, "created": CREATED}
    return build_report(outcomes, **{**defaults, **options})


def test_a_report_of_this_machine(live: Live) -> None:
    outcomes, os_info, _machine, created = live
    doc = build(outcomes, os_info=os_info, created=created)
    assert doc["report_version"] == 1
    assert doc["tool"]["name"] == "precheck"
    assert doc["policy"] == {"version": policies.builtin().version,
                             "digest": policies.builtin().digest}
    assert doc["platform"]["os"] == str(os_info.family)
    assert doc["platform"]["name"] == os_info.name
    assert [c["id"] for c in doc["checks"]] == [o.meta.id for o in outcomes]
    assert [c["status"] for c in doc["checks"]] == [str(o.result.status) for o in outcomes]
    assert doc["verdict"] == str(verdict(outcomes))
    assert "signature" not in doc
    assert json.loads(json.dumps(doc)) == doc  # plain JSON, nothing else


def test_texts_are_rendered_in_both_languages_through_the_checks_catalog(live: Live) -> None:
    outcomes = live[0]
    doc = build(outcomes)
    for outcome, check in zip(outcomes, doc["checks"], strict=True):
        for language in ("ja", "en"):
            translate = Translator(language)
            assert check["title"]["text"][language] == translate.render(
                outcome.meta.title, outcome.meta.domain, outcome.meta.locale_dir)
            assert check["summary"]["text"][language] == translate.render(
                outcome.result.summary, outcome.meta.domain, outcome.meta.locale_dir)
        assert check["summary"]["msgid"] == outcome.result.summary.msgid


def test_required_failures_and_errors_block_and_fail_the_verdict(live: Live) -> None:
    doc = build(live[0] + synthetic_outcomes())
    # This machine's own blocking checks (if any) come first, in catalog order, then the synthetic.
    assert doc["blocking"] == [c["id"] for c in doc["checks"]
                               if c["required"] and c["status"] in ("fail", "error")]
    assert doc["blocking"][-2:] == ["test.firewall", "test.antivirus"]
    assert doc["verdict"] == "fail"
    assert "test.network" not in doc["blocking"]  # advisory: warns, never blocks


def test_only_advisory_problems_still_pass() -> None:
    doc = build([o for o in synthetic_outcomes() if not o.meta.required])
    assert doc["verdict"] == "pass"
    assert doc["blocking"] == []


def test_message_arguments_keep_their_structure() -> None:
    firewall = build(synthetic_outcomes())["checks"][0]
    assert firewall["summary"]["args"] == {"names": ["Public", "Private"]}
    assert firewall["summary"]["text"]["en"] == "Firewall is off for: Public, Private"
    assert "Public、Private" in firewall["summary"]["text"]["ja"]  # Japanese list separator
    step = firewall["fix"][0]
    assert step["args"] == {"profile": {"msgid": "the {name} network",
                                        "args": {"name": "Public"}}}
    assert step["text"]["en"] == "Turn the firewall on for the Public network"
    assert Message.from_json(step) == Message.of(
        "Turn the firewall on for {profile}", profile=Message.of("the {name} network",
                                                                 name="Public"))
    assert firewall["evidence"] == {"off_profiles": ["Public", "Private"], "ratio": 0.5}
    assert firewall["duration_ms"] == 12


@pytest.mark.parametrize(("created", "expected"), [
    (datetime(2026, 11, 23, 1, 2, 3, 999999, tzinfo=UTC), "2026-11-23T01:02:03Z"),
    (datetime(2026, 11, 23, 10, 2, 3, tzinfo=timezone(timedelta(hours=9))),
     "2026-11-23T01:02:03Z"),
    (datetime(2026, 1, 1, 0, 30, tzinfo=timezone(timedelta(hours=1))), "2025-12-31T23:30:00Z"),
])
def test_the_time_is_utc_to_the_second(created: datetime, expected: str) -> None:
    assert build([], created=created)["created"] == expected


def test_a_time_without_a_zone_is_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        build([], created=datetime(2026, 11, 23, 1, 2, 3))  # noqa: DTZ001 - the case under test


def test_the_source_and_challenge_are_recorded() -> None:
    doc = build([], source_kind="bundle", bundle_digest="sha256:" + "a" * 64, challenge="n-1",
                tool_version="9.9.9")
    assert doc["source"] == {"kind": "bundle", "bundle_digest": "sha256:" + "a" * 64}
    assert doc["challenge"] == "n-1"
    assert doc["tool"]["version"] == "9.9.9"
    with pytest.raises(ValueError, match="source_kind"):
        build([], source_kind="usb")


def test_a_crashed_plugin_reports_as_a_required_error() -> None:
    broken = CheckMeta("vendor.thing", "unknown", True, Message.of("Check plugin {name}",
                                                                   name="vendor.thing"))
    outcome = Outcome(broken, Result("vendor.thing", Status.ERROR, Message.of("broken")))
    doc = build([outcome])
    assert doc["checks"][0]["article"] == "unknown"
    assert doc["blocking"] == ["vendor.thing"]


def test_nothing_identifies_the_person_or_machine(live: Live) -> None:
    """Article 7/8: no host name, user name or raw machine id in the report of this machine.

    Every string in the report (keys and values) is split into words; none may be the host
    name, the user name or the machine id, however short they are (this machine's host name may
    be two letters: a substring test would have to skip it, a word test cannot)."""
    import getpass
    import re
    import socket

    outcomes, os_info, machine, created = live
    doc = build(outcomes, os_info=os_info, created=created)
    words = {word.casefold() for text in _strings(doc) for word in re.split(r"[^\w-]+", text)}
    host = socket.gethostname()
    identifying = {host, host.split(".")[0], getpass.getuser(), machine or ""} - {""}
    assert {name.casefold() for name in identifying} & words == set()
    assert len(words) > 50  # the report has words at all: the test looked at something


def _strings(node: object) -> list[str]:
    """Every string in a JSON document, keys included."""
    if isinstance(node, str):
        return [node]
    if isinstance(node, dict):
        return [*node.keys(), *(s for value in node.values() for s in _strings(value))]
    if isinstance(node, list):
        return [s for value in node for s in _strings(value)]
    return []
