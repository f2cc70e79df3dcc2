"""Property-based tests (hypothesis) over everything precheck reads from a person: report files
and diagnostic bundles. Whatever the bytes, zip structure or JSON, reading ends with the value or
the documented error (InputError for an unreadable file, ReportInvalid for a report that does not
hold), the CLI exits 0, 1 or 2 (never 3, "internal error"), and nothing hangs (the per-example
deadline and the test's timeout).

The inputs are INVENTED by hypothesis, seeded from a real signed report of this machine.
"""

from __future__ import annotations

import copy
import io
import json
import os
import tempfile
import warnings
import zipfile
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from precheck import bundle as bundles
from precheck.cli import run_cli
from precheck.errors import InputError
from precheck.reports.errors import ReportInvalid
from precheck.reports.io import parse_document
from precheck.reports.render.html import render_html
from precheck.reports.render.terminal import render_terminal
from precheck.reports.schema import validate
from precheck.reports.signing import verify
from precheck.status import Environment, ExitStatus
from tests.reports.samples import live_report

pytestmark = pytest.mark.timeout(600)

FUZZ = settings(max_examples=150, deadline=timedelta(seconds=10),
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                       HealthCheck.function_scoped_fixture])
FUZZ_CLI = settings(FUZZ, max_examples=40)

scalars = (st.none() | st.booleans() | st.integers()
           | st.floats(allow_nan=False, allow_infinity=False) | st.text())
json_values = st.recursive(
    scalars, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner,
                                                                         max_size=4),
    max_leaves=20)


@pytest.fixture(scope="module")
def signed_report() -> dict[str, Any]:
    """One real signed report of this machine, with its own throwaway identity."""
    from precheck.reports.signing import Identity, sign

    with tempfile.TemporaryDirectory() as folder:
        identity = Identity.load_or_create(Path(folder))
        return sign(live_report(identity), identity)


def outcome_of_report(document: dict[str, Any]) -> str:
    """What the CLI does with a parsed document, minus the printing: every raise that is not
    ReportInvalid fails the test."""
    try:
        validate(document)
    except ReportInvalid:
        return "invalid"
    for lang in ("ja", "en"):  # a valid shape always renders, trusted or not
        render_terminal(document, lang)
        render_html(document, lang, signature_problem="x")
    try:
        verify(document)
    except ReportInvalid:
        return "not intact"
    return "valid"


@FUZZ
@given(st.binary(max_size=2000))
def test_any_bytes_as_a_report(data: bytes) -> None:
    try:
        document = parse_document(data, "report.json")
    except InputError as exc:
        message = str(exc)
    else:
        outcome_of_report(document)
        return
    assert "\n" not in message


@FUZZ
@given(json_values)
def test_any_json_as_a_report(value: object) -> None:
    text = json.dumps(value).encode()
    try:
        document = parse_document(text, "report.json")
    except InputError:
        assert not isinstance(value, dict)  # a JSON object this parser writes is always read
        return
    assert outcome_of_report(document) == "invalid"


def paths_of(value: object, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix]
    if isinstance(value, dict):
        for key, item in value.items():
            found.extend(paths_of(item, (*prefix, key)))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found.extend(paths_of(item, (*prefix, index)))
    return found


@FUZZ
@given(data=st.data())
def test_a_real_report_with_one_value_changed(signed_report: dict[str, Any],
                                              data: st.DataObject) -> None:
    document = copy.deepcopy(signed_report)
    path = data.draw(st.sampled_from(paths_of(document)[1:]))
    replacement = data.draw(json_values | st.sampled_from([
        "2026-02-30T01:02:03Z", "2026-11-31T00:00:00Z", "pass", "fail", "", "\x00", 2**60]))
    parent: Any = document
    for part in path[:-1]:
        parent = parent[part]
    parent[path[-1]] = replacement
    outcome = outcome_of_report(json.loads(json.dumps(document)))
    if replacement != signed_report_value(signed_report, path):
        assert outcome != "valid"  # any change breaks the signature


def signed_report_value(report: dict[str, Any], path: tuple[Any, ...]) -> object:
    value: Any = report
    for part in path:
        value = value[part]
    return value


# -- bundles -----------------------------------------------------------------------------------

def read_bundle(path: Path) -> bundles.Bundle | None:
    try:
        return bundles.read(path)
    except InputError as exc:
        message = str(exc)
    assert "\n" not in message
    return None


@FUZZ
@given(st.binary(max_size=3000))
def test_any_bytes_as_a_bundle(data: bytes) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "bundle.zip"
        path.write_bytes(data)
        read_bundle(path)


GOOD_HEAD = {"format": "precheck-bundle", "format_version": 1, "platform": "linux"}
member_names = st.sampled_from(["manifest.json", "outputs/a.txt", "outputs/b.txt", "a/../b",
                                "outputs/", "/abs", "x\\y"])
probe = st.fixed_dictionaries({"name": st.sampled_from(
    ["clock:now", "platform:machine", "file:/etc/os-release", "psutil:resources", "x"])},
    optional={"value": json_values | st.sampled_from(["2026-02-30T00:00:00Z",
                                                      "2026-11-20T10:15:00+09:00"]),
              "value_file": st.sampled_from(["outputs/a.txt", "outputs/b.txt", "nope", ""]),
              "error": st.fixed_dictionaries({"kind": st.text(max_size=5)})})
manifests = (json_values.map(lambda v: json.dumps(v).encode())
             | st.lists(probe, max_size=6).map(
                 lambda p: json.dumps({**GOOD_HEAD, "probes": p}).encode())
             | st.binary(max_size=200))
member_data = st.binary(max_size=300) | st.text(max_size=100).flatmap(
    lambda t: st.sampled_from([t.encode("utf-8"), t.encode("utf-16-le"), t.encode("utf-16")]))


@st.composite
def zips(draw: st.DrawFn) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive, warnings.catch_warnings():
        warnings.simplefilter("ignore")  # duplicate member names are wanted here
        names = draw(st.lists(member_names, max_size=4))
        for name in ["manifest.json", *names]:
            info = zipfile.ZipInfo(name)
            info.compress_type = draw(st.sampled_from(
                [zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED, zipfile.ZIP_BZIP2, zipfile.ZIP_LZMA]))
            info.create_system = draw(st.sampled_from([0, 3]))
            info.external_attr = draw(st.sampled_from(
                [0, 0o100644 << 16, 0o120777 << 16, 0o040755 << 16, 0o010644 << 16]))
            content = draw(manifests) if name == "manifest.json" else draw(member_data)
            archive.writestr(info, content)
    data = bytearray(buffer.getvalue())
    for _ in range(draw(st.integers(0, 3))):  # a few damaged bytes
        if data:
            at = draw(st.integers(0, len(data) - 1))
            data[at] = draw(st.integers(0, 255))
    return bytes(data)


@FUZZ
@given(zips())
def test_any_zip_as_a_bundle(data: bytes) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "bundle.zip"
        path.write_bytes(data)
        read = read_bundle(path)
        if read is not None:
            assert read.digest.startswith("sha256:")


@FUZZ_CLI
@given(zips())
def test_any_zip_replayed_by_the_cli_never_exits_3(data: bytes) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "bundle.zip"
        path.write_bytes(data)
        out, err = io.StringIO(), io.StringIO()
        status = run_cli(["run", "--bundle", str(path), "--json", "--only", "power.battery",
                          "--only", "system.resources", "--only", "os.support"],
                         Environment(out, err, {"PRECHECK_HOME": os.environ["PRECHECK_HOME"]}))
        assert status in {ExitStatus.OK, ExitStatus.CHECK_FAILED, ExitStatus.USAGE}, err.getvalue()
        if status is ExitStatus.USAGE:
            assert err.getvalue().count("\n") == 1


@FUZZ
@given(st.dictionaries(member_names.filter(lambda n: n not in {"/abs", "a/../b", "outputs/"}),
                       member_data, max_size=3), manifests)
def test_any_folder_as_a_bundle(members: dict[str, bytes], manifest: bytes) -> None:
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder) / "b"
        root.mkdir()
        for name, content in {**members, "manifest.json": manifest}.items():
            target = root / name
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(content)
        read_bundle(root)


#: Per platform: the answers the replayed checks and the report's platform facts read.
REPLAYED_PROBES = {
    "linux": ["platform:machine", "file:/etc/os-release", "psutil:resources",
              "psutil:sensors_battery", "file:/etc/machine-id"],
    "windows": ["platform:machine", "reg:HKLM\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion",
                "reg:HKLM\\SOFTWARE\\Microsoft\\Cryptography", "psutil:resources",
                "psutil:sensors_battery"],
    "macos": ["platform:machine", "cmd:sw_vers", "cmd:ioreg -rd1 -c IOPlatformExpertDevice",
              "psutil:resources", "psutil:sensors_battery"],
}
command_answers = st.fixed_dictionaries(
    {"returncode": st.integers(-2, 2), "stdout": st.text(max_size=200), "stderr": st.text(
        max_size=20)})


@FUZZ_CLI
@given(st.sampled_from(sorted(REPLAYED_PROBES)).flatmap(lambda platform: st.tuples(
    st.just(platform), st.fixed_dictionaries(dict.fromkeys(
        REPLAYED_PROBES[platform], json_values | command_answers)))),
       st.sampled_from(["2026-11-20T10:15:00+09:00", "2026-11-20T10:15:00.5Z"]))
def test_a_well_formed_bundle_with_any_answers_replays_without_exit_3(
        platform_answers: tuple[str, dict[str, object]], clock: str) -> None:
    """Each of those answers any JSON: a check meets it as "could not tell", the report still
    builds."""
    platform, answers = platform_answers
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        probes = [{"name": "clock:now", "value": clock},
                  *({"name": name, "value": value} for name, value in answers.items())]
        (root / "manifest.json").write_text(json.dumps(
            {**GOOD_HEAD, "platform": platform, "probes": probes}), encoding="utf-8")
        out, err = io.StringIO(), io.StringIO()
        status = run_cli(["run", "--bundle", str(root), "--json", "--only", "power.battery",
                          "--only", "system.resources", "--only", "os.support"],
                         Environment(out, err, {"PRECHECK_HOME": os.environ["PRECHECK_HOME"]}))
        assert status in {ExitStatus.OK, ExitStatus.CHECK_FAILED, ExitStatus.USAGE}, err.getvalue()
        if status is not ExitStatus.USAGE:
            verify(json.loads(out.getvalue()))
