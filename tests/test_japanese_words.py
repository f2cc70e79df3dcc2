"""Every Japanese message a job seeker can read is free of the machine's words: no check id, no
probe name, no precheck command line or option, no Python exception text.

The command line's own help and errors (precheck/cli*.py) are about the command line, so they may
name its options; every other message of the core and the app is checked. One allowance: Linux
fixes quote the system's own commands (「sudo ufw enable」), the way a Linux desktop is set up;
such a quote may hold options, but never a precheck command line.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from precheck import plugins

ROOT = Path(__file__).resolve().parent.parent
LOCALE = ROOT / "precheck" / "locale" / "ja" / "LC_MESSAGES"
#: Files whose messages speak of the command line itself.
COMMAND_LINE_SOURCES = tuple(sorted((ROOT / "precheck").glob("cli*.py")))

PROBE = re.compile(r"\{probe\}|\b(?:cmd|psutil|sounddevice|wmi|reg|mtime|apt-lists|clock|"
                   r"platform|sysfs|proc):[\w/\\]")
PRECHECK_COMMAND = re.compile(r"precheck\s+(?:run|collect|report|list|gateway)\b")
COMMAND = re.compile(rf"{PRECHECK_COMMAND.pattern}|(?<![\w-])--[a-z]")
#: A Linux system command quoted in a fix: 「sudo …」 (the allowance above).
SUDO_QUOTE = re.compile(r"「sudo [^」]*」")
EXCEPTION = re.compile(r"\b[A-Z][A-Za-z]+(?:Error|Exception)\b|Traceback|\[Errno|\{error\}")


def _literal_msgids(path: Path) -> set[str]:
    """The message ids marked with N_() in one source file."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
                and node.func.id == "N_" and node.args
                and isinstance(node.args[0], ast.Constant)
                and isinstance(node.args[0].value, str)):
            found.add(node.args[0].value)
    return found


def _messages(domain: str) -> list[tuple[str, str]]:
    with (LOCALE / f"{domain}.po").open("rb") as handle:
        catalog = read_po(handle)
    return [(m.id, m.string) for m in catalog
            if m.id and isinstance(m.id, str) and isinstance(m.string, str)]


def _check_ids() -> re.Pattern[str]:
    ids = [*plugins.load().ids, "declaration.private_room", "declaration.no_recording"]
    return re.compile("|".join(rf"(?<![\w.]){re.escape(i)}(?![\w.])" for i in ids))


@pytest.mark.parametrize("domain", ["precheck", "tui"])
def test_japanese_messages_hold_no_machine_words(domain: str) -> None:
    allowed = set().union(*(_literal_msgids(p) for p in COMMAND_LINE_SOURCES))
    check_id = _check_ids()
    found = []
    for msgid, text in _messages(domain):
        if msgid in allowed:
            continue
        outside_sudo = SUDO_QUOTE.sub("「」", text)
        for kind, pattern, where in (("check id", check_id, text), ("probe", PROBE, text),
                                     ("command line", COMMAND, outside_sudo),
                                     ("Python error", EXCEPTION, text)):
            if pattern.search(where):
                found.append(f"{kind}: {text}")
        if any(PRECHECK_COMMAND.search(quote) for quote in SUDO_QUOTE.findall(text)):
            found.append(f"precheck command line in a system command: {text}")
    assert not found, "\n".join(found)


def test_the_patterns_catch_what_they_are_for() -> None:
    """Each pattern finds the words the issue found on screen (so the test above can fail)."""
    assert PROBE.search("確認できませんでした（sounddevice:record:3s）")
    assert COMMAND.search("「precheck collect」で保存")
    assert COMMAND.search("precheck run, without --only")
    assert EXCEPTION.search("<urlopen error [Errno -2] Name or service not known>")
    assert EXCEPTION.search("内部エラー: BrokenPipeError")
    assert _check_ids().search("必須の確認 os.patches がありません")
    assert not _check_ids().search("www.example.jp/os.patches.html")
    quoted = "端末で「sudo dnf upgrade --refresh」を実行"
    assert SUDO_QUOTE.sub("「」", quoted) == "端末で「」を実行"
    assert PRECHECK_COMMAND.search("「sudo precheck run」")


#: docs/glossary.md: one Japanese word per concept, and how articles and colons are written.
GLOSSARY = (
    (re.compile(r"診断データ|診断バンドル|バンドル"), "the diagnostic bundle is 診断ファイル"),
    (re.compile(r"ブラウザ(?!ー)"), "ブラウザー, with the long vowel (as コンピューター)"),
    (re.compile(r"規約\s*\d|第\d+条\(\d"), "articles as 第N条第M項"),
    (re.compile(r"[^\x00-\x7f]: |[^\x00-\x7f]:(?=\{)"), "a full-width colon (：) in Japanese"),
    (re.compile(r"待ってください"), "お待ちください (polite)"),
)


@pytest.mark.parametrize("domain", ["precheck", "tui", "gateway"])
def test_japanese_messages_follow_the_glossary(domain: str) -> None:
    found = [f"{rule}: {text}" for msgid, text in _messages(domain)
             if not msgid.startswith("precheck:")
             for pattern, rule in GLOSSARY if pattern.search(text)]
    assert not found, "\n".join(found)
