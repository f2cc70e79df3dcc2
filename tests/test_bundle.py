"""Diagnostic bundles: collect then replay gives the same verdicts; bad bundles are refused."""

from __future__ import annotations

import json
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from precheck import bundle as bundles
from precheck import plugins, probes
from precheck import policy as policies
from precheck.errors import InputError
from precheck.result import Status
from precheck.runner import Outcome
from precheck.session import evaluate

DOCS = Path(__file__).resolve().parent.parent / "docs" / "bundle-format.md"


def verdicts(outcomes: list[Outcome]) -> list[tuple[str, str, str, dict[str, object]]]:
    return [(o.meta.id, o.result.status.value, o.result.summary.msgid,
             o.result.summary.to_json()["args"]) for o in outcomes]  # type: ignore[misc]


def replay(path: Path) -> list[Outcome]:
    return evaluate(plugins.load(), policies.builtin(), bundles.read(path)).run()


@dataclass(frozen=True)
class Collected:
    """One live run of every check on this machine, written as a zip and as a folder."""

    outcomes: list[Outcome]
    zip_path: Path
    folder: Path


@pytest.fixture(scope="module")
def collected(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Collected]:
    """The live collect, once for this module: it is the slow part (every check on this
    machine), and the tests below only read what it wrote."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("PRECHECK_HOME", str(tmp_path_factory.mktemp("precheck-home")))
        live = evaluate(plugins.load(), policies.builtin())
        outcomes = live.run()
        where = tmp_path_factory.mktemp("collected")
        folder = where / "written"
        folder.mkdir()
        yield Collected(outcomes, live.write_bundle(where / "bundle.zip"),
                        live.write_bundle(folder))


def test_collect_then_replay_gives_the_same_verdicts(collected: Collected) -> None:
    assert zipfile.is_zipfile(collected.zip_path)
    assert verdicts(replay(collected.zip_path)) == verdicts(collected.outcomes)


def test_a_folder_bundle_equals_its_zip(collected: Collected, tmp_path: Path) -> None:
    folder = tmp_path / "unzipped"
    with zipfile.ZipFile(collected.zip_path) as archive:
        archive.extractall(folder)
    assert bundles.read(folder).digest == bundles.read(collected.zip_path).digest
    assert verdicts(replay(folder)) == verdicts(replay(collected.zip_path))
    assert (collected.folder / "manifest.json").exists()
    assert verdicts(replay(collected.folder)) == verdicts(collected.outcomes)


def test_replayed_facts_come_from_the_bundle(collected: Collected) -> None:
    read = bundles.read(collected.zip_path)
    replayed = evaluate(plugins.load(), policies.builtin(), read)
    assert replayed.os_info().family.value == "linux"
    assert replayed.created().isoformat() == read.records["clock:now"].value
    assert read.checks == tuple(o.meta.id for o in collected.outcomes)


def _documented_example() -> dict[str, object]:
    blocks = re.findall(r"```json\n(.*?)```", DOCS.read_text(encoding="utf-8"), re.DOTALL)
    examples = [json.loads(b) for b in blocks if '"probes"' in b and "…" not in b]
    assert len(examples) == 1
    example: dict[str, object] = examples[0]
    return example


def test_the_hand_written_example_in_the_docs_replays(tmp_path: Path) -> None:
    folder = tmp_path / "bundle"
    folder.mkdir()
    (folder / "manifest.json").write_text(json.dumps(_documented_example()), encoding="utf-8")
    read = bundles.read(folder)
    evaluation = evaluate(plugins.load(), policies.builtin(), read)
    results = {o.meta.id: o.result for o in evaluation.run()}
    assert results["power.battery"].status is Status.WARN  # 64 %, unplugged
    missing = results["system.resources"]
    assert missing.status is Status.ERROR  # the example did not capture psutil:resources
    assert missing.summary.args["probe"] == "psutil:resources"
    info = evaluation.os_info()
    assert (info.name, info.version, info.build) == ("Windows 11 Pro", "24H2", "26100.2314")


def test_outputs_may_be_utf16_as_powershell_writes_them(tmp_path: Path) -> None:
    folder = tmp_path / "b"
    (folder / "outputs").mkdir(parents=True)
    (folder / "outputs" / "os-release.txt").write_bytes(
        'NAME="Ubuntu"\nID=ubuntu\nVERSION_ID="24.04"\n'.encode("utf-16"))
    (folder / "manifest.json").write_text(json.dumps({
        "format": "precheck-bundle", "format_version": 1, "platform": "linux",
        "probes": [{"name": "file:/etc/os-release", "value_file": "outputs/os-release.txt"},
                   {"name": "platform:machine", "value": "x86_64"}],
    }))
    system = evaluate(plugins.load(), policies.builtin(), bundles.read(folder)).system
    assert probes.os_info(system).version == "24.04"


GOOD = {"format": "precheck-bundle", "format_version": 1, "platform": "linux", "probes": []}


@pytest.mark.parametrize(
    ("manifest", "files", "complaint"),
    [
        ("{not json", {}, "manifest.json is not JSON: Expecting"),
        (json.dumps([1, 2]), {}, "format"),
        (json.dumps({**GOOD, "format": "other"}), {}, "format"),
        (json.dumps({**GOOD, "format_version": 2}), {}, "format_version 2 is not supported"),
        (json.dumps({**GOOD, "platform": "amiga"}), {}, "platform 'amiga'"),
        (json.dumps({**GOOD, "probes": {}}), {}, "must be a list"),
        (json.dumps({**GOOD, "probes": [{"value": 1}]}), {}, "non-empty \"name\""),
        (json.dumps({**GOOD, "probes": [{"name": "a", "value": 1, "error": {}}]}), {},
         "exactly one"),
        (json.dumps({**GOOD, "probes": [{"name": "a", "value": 1}, {"name": "a", "value": 2}]}),
         {}, "repeats"),
        (json.dumps({**GOOD, "probes": [{"name": "a", "value_file": "../../etc/passwd"}]}), {},
         "relative path inside"),
        (json.dumps({**GOOD, "probes": [{"name": "a", "value_file": "/etc/passwd"}]}), {},
         "relative path inside"),
        (json.dumps({**GOOD, "probes": [{"name": "a", "value_file": "outputs/absent.txt"}]}), {},
         "has no file outputs/absent.txt"),
        (json.dumps({**GOOD, "probes": [{"name": "a", "error": "boom"}]}), {}, "\"kind\""),
        (json.dumps({**GOOD, "probes": [{"name": "a", "value_file": "x.bin"}]}),
         {"x.bin": b"\xff\xfe\x00\xd8"}, "neither UTF-8 nor UTF-16"),
    ],
)
def test_malformed_bundles_are_refused_with_the_reason(
        tmp_path: Path, manifest: str, files: dict[str, bytes], complaint: str) -> None:
    path = tmp_path / "bad.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("manifest.json", manifest)
        for name, data in files.items():
            archive.writestr(name, data)
    with pytest.raises(InputError) as caught:
        bundles.read(path)
    assert complaint in str(caught.value)


def test_a_file_that_is_no_bundle_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "report.json"
    path.write_text("{}")
    with pytest.raises(InputError, match="neither a zip file nor a directory"):
        bundles.read(path)
    with pytest.raises(InputError, match="does not exist"):
        bundles.read(tmp_path / "absent.zip")
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(InputError, match=r"has no file manifest\.json"):
        bundles.read(empty)


def test_a_recorded_probe_error_replays_as_the_same_error(tmp_path: Path) -> None:
    folder = tmp_path / "b"
    folder.mkdir()
    (folder / "manifest.json").write_text(json.dumps({**GOOD, "probes": [
        {"name": "psutil:resources", "error": {"kind": "timeout", "message": "no answer"}},
    ]}))
    outcomes = evaluate(plugins.load().select(["system.resources"]), policies.builtin(),
                        bundles.read(folder)).run()
    (outcome,) = outcomes
    assert outcome.result.status is Status.ERROR
    assert "did not answer in time" in outcome.result.summary.msgid
