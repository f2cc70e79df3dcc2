"""Mutations of recorded answers: what a cut-off, reordered, translated or empty answer looks like.

Used by tests/test_mutations.py. Every mutation is deterministic (a fixed seed), so a failure
names the same mutation on every run.
"""

from __future__ import annotations

import copy
import random
import re
from collections.abc import Iterator
from dataclasses import dataclass

from precheck.system import JSON

#: Labels and state words in the two languages precheck reads, both ways (netsh, socketfilterfw,
#: ufw, PowerShell exports): the "other language" of a known answer.
EN_JA = {
    "Name": "名前", "Description": "説明", "State": "状態", "Authentication": "認証",
    "Cipher": "暗号", "connected": "接続されました", "disconnected": "切断されました",
    "Open": "オープン", "None": "なし", "Status": "状態", "active": "アクティブ",
    "inactive": "非アクティブ", "enabled": "有効", "disabled": "無効", "True": "はい",
    "False": "いいえ", "ON": "オン", "OFF": "オフ", "Normal": "通常",
}
JA_EN = {ja: en for en, ja in EN_JA.items()}
#: A language precheck does not read (German, as Windows, ufw and macOS print it).
FOREIGN = {
    "Name": "Name", "Description": "Beschreibung", "State": "Status", "Authentication":
    "Authentifizierung", "Cipher": "Verschlüsselung", "connected": "Verbunden",
    "disconnected": "Getrennt", "Open": "Offen", "None": "Keine", "Status": "Zustand",
    "active": "aktiv", "inactive": "inaktiv", "enabled": "aktiviert", "disabled": "deaktiviert",
    "Enabled": "Aktiviert", "Disabled": "Deaktiviert", "True": "Wahr", "False": "Falsch",
    "ON": "EIN", "OFF": "AUS", "Normal": "Normaler Modus", "Firewall": "Firewall",
    "is": "ist", "blocking": "blockiert", "incoming": "eingehende", "connections": "Verbindungen",
    "Software Update": "Softwareaktualisierung", "Label": "Bezeichnung", "Title": "Titel",
    "Version": "Version", "Recommended": "Empfohlen", "Action": "Aktion", "restart": "Neustart",
    "Size": "Größe", "found": "gefunden", "following": "folgende", "new": "neue",
    "software": "Software", "available": "verfügbar", "No": "Keine", "upgraded": "aktualisiert",
    "installed": "installiert", "Inst": "Inst", "NAME": "NAME", "VERSION": "VERSION",
    "ProductName": "ProductName", "ProductVersion": "Produktversion", "BuildVersion":
    "Build-Version", "Default": "Standard", "deny": "ablehnen", "allow": "erlauben",
    "Logging": "Protokollierung", "New profiles": "Neue Profile", "SSID": "SSID",
    "Security": "Sicherheit", "Current Network Information": "Aktuelle Netzwerkinformationen",
}
_WORD = re.compile(r"[A-Za-z][A-Za-z-]*|[\u3040-\u30ff\u4e00-\u9fff]+")


@dataclass(frozen=True, slots=True)
class Mutation:
    """One changed answer: what was done, the new value, and the text it removed (if any)."""

    what: str
    value: JSON
    removed: str = ""


def _translate(text: str, table: dict[str, str], *, unknown_words: bool) -> str:
    """Each whole word (or phrase) in ``table`` replaced; with ``unknown_words``, a label before
    a colon that the table lacks is replaced by a made-up word, as an unknown language would."""
    for phrase in sorted((k for k in table if " " in k), key=len, reverse=True):
        text = text.replace(phrase, table[phrase])
    lines = []
    for line in text.splitlines(keepends=True):
        label, sep, rest = line.partition(":")
        words = _WORD.sub(lambda m: table.get(m.group(0), m.group(0)), rest if sep else line)
        if sep:
            new_label = _WORD.sub(lambda m: table.get(m.group(0), "Xq" + m.group(0)[::-1]
                                                    if unknown_words else m.group(0)), label)
            lines.append(new_label + sep + words)
        else:
            lines.append(words)
    return "".join(lines)


def _sample(count: int, limit: int) -> list[int]:
    """Up to ``limit`` indexes of ``range(count)``: the first and last few, then evenly spread."""
    if count <= limit:
        return list(range(count))
    edge = min(5, limit // 4)
    chosen = set(range(edge)) | set(range(count - edge, count))
    step = (count - 2 * edge) / max(1, limit - 2 * edge)
    chosen |= {edge + int(i * step) for i in range(limit - 2 * edge)}
    return sorted(i for i in chosen if 0 <= i < count)


def text_mutations(text: str, *, limit: int = 80, seed: int = 14) -> Iterator[tuple[str, str, str]]:
    """(what, mutated text, removed text) for one text answer."""
    lines = text.splitlines(keepends=True)
    yield "empty", "", text
    for k in _sample(len(lines), limit):
        yield f"truncated after line {k}", "".join(lines[:k]), "".join(lines[k:])
        # cut inside the line too: an answer stopped mid-line by a time-out
        if lines[k].strip():
            half = len(lines[k].rstrip("\n")) // 2
            yield (f"cut inside line {k}", "".join(lines[:k]) + lines[k][:half],
                   lines[k][half:] + "".join(lines[k + 1:]))
    for k in _sample(len(lines), limit):
        yield f"line {k} dropped", "".join(lines[:k] + lines[k + 1:]), lines[k]
    blocks = re.split(r"(?:\r?\n){2,}", text.strip("\n"))
    if len(blocks) > 1:
        yield "blocks reversed", "\n\n".join(reversed(blocks)) + "\n", ""
        shuffled = blocks[:]
        random.Random(seed).shuffle(shuffled)  # noqa: S311 - a fixed order, not a secret
        yield "blocks shuffled", "\n\n".join(shuffled) + "\n", ""
    if len(lines) > 1:
        yield "lines reversed", "".join(reversed([ln if ln.endswith("\n") else ln + "\n"
                                                  for ln in lines])), ""
    other = _translate(text, EN_JA, unknown_words=False)
    if other != text:
        yield "English labels in Japanese", other, ""
    other = _translate(text, JA_EN, unknown_words=False)
    if other != text:
        yield "Japanese labels in English", other, ""
    other = _translate(text, FOREIGN, unknown_words=True)
    if other != text:
        yield "labels in a language precheck does not read", other, ""


def _strings(value: JSON) -> str:
    return "" if value is None else str(value)


def json_mutations(value: JSON, *, limit: int = 40) -> Iterator[Mutation]:
    """Mutations of a structured answer (WMI instances, registry values, parsed lists)."""
    if isinstance(value, list):
        yield from _list_mutations(value, limit)
    elif isinstance(value, dict):
        yield from _dict_mutations(value, limit)
    elif isinstance(value, str) and value:
        for what, text, removed in text_mutations(value):
            yield Mutation(what, text, removed)


def _list_mutations(value: list[JSON], limit: int) -> Iterator[Mutation]:
    yield Mutation("empty list", [], _strings(value))
    for i in _sample(len(value), limit):
        yield Mutation(f"item {i} dropped", value[:i] + value[i + 1:], _strings(value[i]))
    if len(value) > 1:
        yield Mutation("items reversed", list(reversed(value)))
    for i in _sample(len(value), 4):
        item = value[i]
        if isinstance(item, dict):
            for key in list(item)[:limit]:
                changed = copy.deepcopy(value)
                assert isinstance(changed, list)
                entry = changed[i]
                assert isinstance(entry, dict)
                removed = entry.pop(key)
                yield Mutation(f"item {i} without {key}", changed, f"{key} {removed}")
            translated = _localised(item)
            if translated != item:
                changed = copy.deepcopy(value)
                assert isinstance(changed, list)
                changed[i] = translated
                yield Mutation(f"item {i} values in German", changed)
        elif isinstance(item, str):
            changed = list(value)
            changed[i] = _translate(item, FOREIGN, unknown_words=True)
            if changed[i] != item:
                yield Mutation(f"item {i} in German", changed)


def _dict_mutations(value: dict[str, JSON], limit: int) -> Iterator[Mutation]:
    yield Mutation("empty mapping", {}, _strings(value))
    keys = list(value)
    for i in _sample(len(keys), limit):
        key = keys[i]
        changed = dict(value)
        removed = changed.pop(key)
        yield Mutation(f"{key} dropped", changed, f"{key} {removed}")
    translated = _localised(value)
    if translated != value:
        yield Mutation("values in German", translated)


def _localised(item: dict[str, JSON]) -> dict[str, JSON]:
    """String values translated word by word into German (a PowerShell export on German
    Windows gives enumerations and booleans as localised text)."""
    return {k: _translate(v, FOREIGN, unknown_words=False) if isinstance(v, str) else v
            for k, v in item.items()}


def command_mutations(value: dict[str, JSON], *, limit: int = 80) -> Iterator[Mutation]:
    """Mutations of a recorded command result (its standard output, then its exit status)."""
    stdout = str(value.get("stdout", ""))
    stderr = str(value.get("stderr", ""))
    if stdout.strip():
        for what, text, removed in text_mutations(stdout, limit=limit):
            yield Mutation(f"stdout {what}", {**value, "stdout": text}, removed)
    if stderr.strip():
        for what, text, removed in text_mutations(stderr, limit=limit // 2):
            yield Mutation(f"stderr {what}", {**value, "stderr": text}, removed)
    yield Mutation("no output at all", {**value, "stdout": "", "stderr": ""}, stdout + stderr)
    if value.get("returncode") == 0:
        yield Mutation("failed with no output", {"returncode": 1, "stdout": "", "stderr": ""},
                       stdout + stderr)
