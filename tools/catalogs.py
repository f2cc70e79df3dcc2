"""Keep the gettext catalogs in step with the code (a developer tool; needs Babel).

    python tools/catalogs.py check     # exit 1 when a message lacks a translation (CI and tests)
    python tools/catalogs.py update    # add new message ids, drop unused ones, compile .mo files

Message ids are the English source strings marked with ``N_()`` in precheck/, checks/ and
reports/. The Japanese catalog must translate every one; the English catalog carries them too,
so plain-English rewording never needs a code change. Compiled .mo files are shipped in the
package next to their .po files.
"""

from __future__ import annotations

import gettext
import re
import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
SOURCES = ("precheck", "checks", "reports")
LOCALE_DIR = ROOT / "precheck" / "locale"
DOMAIN = "precheck"
LANGUAGES = ("ja", "en")
FIELD = re.compile(r"\{(\w+)")


def extract() -> dict[str, list[tuple[str, int]]]:
    """Every N_() message id in the sources, with where it appears."""
    found: dict[str, list[tuple[str, int]]] = {}
    for source in SOURCES:
        for filename, lineno, message, _comments, _context in extract_from_dir(
            ROOT / source, method_map=[("**.py", "python")], keywords={"N_": None},
        ):
            if isinstance(message, str) and message:
                found.setdefault(message, []).append((f"{source}/{filename}", lineno))
    return found


def po_path(language: str) -> Path:
    return LOCALE_DIR / language / "LC_MESSAGES" / f"{DOMAIN}.po"


def load(language: str) -> Catalog:
    path = po_path(language)
    if not path.exists():
        return Catalog(locale=language, domain=DOMAIN, project="precheck")
    with path.open("rb") as handle:
        return read_po(handle, locale=language, domain=DOMAIN)


def problems() -> list[str]:
    """What is missing or wrong in the catalogs, one line each."""
    wanted = extract()
    found: list[str] = []
    for language in LANGUAGES:
        catalog = load(language)
        for msgid in sorted(wanted):
            message = catalog.get(msgid)
            if message is None or not message.string:
                found.append(f"{language}: no translation for {msgid!r}")
            elif set(FIELD.findall(str(message.string))) != set(FIELD.findall(msgid)):
                found.append(f"{language}: the fields of {msgid!r} differ in its translation")
        mo = po_path(language).with_suffix(".mo")
        translated = {m.id: m.string for m in catalog if m.id and m.string}  # msgfmt skips the rest
        if not mo.exists() or _compiled(mo) != translated:
            found.append(f"{language}: {mo.relative_to(ROOT)} does not match its .po file")
    return found


def _compiled(mo: Path) -> dict[object, object]:
    with mo.open("rb") as handle:
        translations = gettext.GNUTranslations(handle)
    return {k: v for k, v in translations._catalog.items() if k}


def update() -> None:
    wanted = extract()
    for language in LANGUAGES:
        old = load(language)
        new = Catalog(locale=language, domain=DOMAIN, project="precheck",
                      header_comment=f"# precheck messages ({language}).")
        for msgid, places in sorted(wanted.items()):
            previous = old.get(msgid)
            string = previous.string if previous is not None else ""
            if language == "en" and not string:
                string = msgid
            new.add(msgid, string, locations=places)
        path = po_path(language)
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("wb") as handle:
            write_po(handle, new, width=100, sort_output=True)
        with path.with_suffix(".mo").open("wb") as handle:
            write_mo(handle, new)


def main() -> int:
    command = sys.argv[1] if len(sys.argv) > 1 else "check"
    if command == "update":
        update()
        return 0
    found = problems()
    for line in found:
        print(line)
    return 1 if found else 0


if __name__ == "__main__":
    raise SystemExit(main())
