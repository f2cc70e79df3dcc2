"""`precheck run`'s text output: live progress on a terminal, the verdict last with what is left,
and never a booking promise from a run that left required checks out."""

from __future__ import annotations

import io
import os
from typing import Any

from precheck.cli import run_cli
from precheck.i18n import Translator
from precheck.reports.render import FIX_THEN_R, ONLY_DECLARATIONS, VERDICT_DETAILS, verdict_view
from precheck.status import Environment, ExitStatus


class Terminal(io.StringIO):
    """A stream that says it is a terminal, as a console window's is."""

    def isatty(self) -> bool:
        return True


def cli(*argv: str, err: io.StringIO | None = None) -> tuple[ExitStatus, str, str]:
    out, err = io.StringIO(), err or io.StringIO()
    env = {"PRECHECK_HOME": os.environ["PRECHECK_HOME"], "PRECHECK_LANG": "ja", "COLUMNS": "80"}
    status = run_cli(list(argv), Environment(out, err, env))
    return status, out.getvalue(), err.getvalue()


def test_only_one_check_never_promises_a_booking() -> None:
    """`run --only software.file_sharing`: whatever that check says, the other required checks
    were not run, so the verdict names them and never says 予約できます."""
    status, out, _ = cli("run", "--only", "software.file_sharing")
    assert status in (ExitStatus.OK, ExitStatus.CHECK_FAILED)
    assert "予約できます" not in out.replace("予約できるかどうか", "")
    assert "一部の項目だけを確認しました" in out
    assert "カメラ" in out  # a required check left out, named by its title
    assert "software.file_sharing" not in out  # never its id


def test_the_verdict_is_printed_last() -> None:
    _, out, _ = cli("run", "--only", "power.battery", "--only", "system.resources",
                    "--only", "security.threats")
    lines = [line for line in out.splitlines() if line.strip()]
    verdict_line = max(i for i, line in enumerate(lines) if "確認しました" in line
                       or "予約でき" in line)
    checks = [i for i, line in enumerate(lines) if "バッテリー" in line or "処理能力" in line]
    assert checks
    assert max(checks) < verdict_line
    assert lines[-1].startswith("┗")  # the verdict's box closes the output


def test_progress_on_a_terminal_and_none_in_a_pipe() -> None:
    terminal = Terminal()
    _, _, err = cli("run", "--only", "power.battery", "--only", "system.resources", err=terminal)
    assert "2 項目を確認しています" in err
    assert "[ 1/2]" in err
    assert "[ 2/2]" in err
    _, _, piped = cli("run", "--only", "power.battery")
    assert piped == ""


def report(*checks: dict[str, Any]) -> dict[str, Any]:
    blocking = [c["id"] for c in checks if c["required"] and c["status"] in ("fail", "error")]
    return {"verdict": "fail" if blocking else "pass", "checks": list(checks),
            "blocking": blocking}


def check(check_id: str, status: str, *, required: bool = True) -> dict[str, Any]:
    return {"id": check_id, "status": status, "required": required}


def test_only_declarations_left_says_a_tick_is_all() -> None:
    ja = Translator("ja")
    left = report(check("device.camera", "pass"), check("declaration.private_room", "fail"),
                  check("system.resources", "warn", required=False))
    view = verdict_view(left, ja, in_app=True)
    assert view.name == "fail"
    assert view.detail == "自己申告にチェックを入れると予約できます。"
    assert view.detail == ja(ONLY_DECLARATIONS)


def test_a_failing_check_says_fix_then_r_in_the_app_and_check_again_elsewhere() -> None:
    ja = Translator("ja")
    failing = report(check("device.camera", "fail"), check("declaration.private_room", "fail"))
    assert verdict_view(failing, ja, in_app=True).detail == ja(FIX_THEN_R)
    assert "R キー" in ja(FIX_THEN_R)
    assert verdict_view(failing, ja).detail == ja(VERDICT_DETAILS["fail"])
    for detail in (ja(FIX_THEN_R), ja(VERDICT_DETAILS["fail"])):
        assert "precheck" not in detail


def test_a_pass_is_a_pass() -> None:
    view = verdict_view(report(check("device.camera", "pass")), Translator("ja"))
    assert (view.name, view.word) == ("pass", "予約できます")


def test_argparse_speaks_japanese() -> None:
    status, _, err = cli("run", "--bogus")
    assert status is ExitStatus.USAGE
    assert "使えない引数があります：--bogus" in err
    status, _, err = cli("run", "--only")
    assert "値を 1 つ指定してください" in err
    out = io.StringIO()
    env = {"PRECHECK_HOME": os.environ["PRECHECK_HOME"], "PRECHECK_LANG": "en"}
    run_cli(["run", "--bogus"], Environment(io.StringIO(), out, env))
    assert "unrecognized arguments: --bogus" in out.getvalue()  # English stays English
