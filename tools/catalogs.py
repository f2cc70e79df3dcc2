"""Keep the gettext catalogs in step with the code (a developer tool; needs Babel).

    python tools/catalogs.py check     # exit 1 when a message lacks a translation (CI and tests)
    python tools/catalogs.py update    # add new message ids, drop unused ones, compile .mo files

Message ids are the English source strings marked with ``N_()``. There is one catalog (gettext
domain) per part of the program, so each part's texts can change on their own:

- ``precheck``: the core, the checks and the reports (precheck/, with its checks/ and reports/);
- ``tui``: the job seeker's terminal app (precheck/tui/);
- ``gateway``: the booking gateway (precheck/gateway/).

The Japanese catalog must translate every one; the English catalog carries them too, so
plain-English rewording never needs a code change. Compiled .mo files are shipped in the package
next to their .po files (precheck/locale/<language>/LC_MESSAGES/<domain>.po).
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
LOCALE_DIR = ROOT / "precheck" / "locale"
LANGUAGES = ("ja", "en")
FIELD = re.compile(r"\{(\w+)")
# domain -> the source folders whose N_() messages it holds. A folder listed for one domain is
# left out of every domain that lists one of its parents.
DOMAINS: dict[str, tuple[str, ...]] = {
    "precheck": ("precheck",),
    "tui": ("precheck/tui",),
    "gateway": ("precheck/gateway",),
}
DOMAIN = "precheck"
# Other kinds of files to read, per source folder: (glob, Babel extraction method).
EXTRA_METHODS: dict[str, list[tuple[str, str]]] = {}


def _owned_elsewhere(domain: str) -> list[str]:
    return [folder for other, folders in DOMAINS.items() if other != domain for folder in folders]


def extract(domain: str = DOMAIN) -> dict[str, list[tuple[str, int]]]:
    """Every N_() message id in the domain's sources, with where it appears."""
    found: dict[str, list[tuple[str, int]]] = {}
    elsewhere = _owned_elsewhere(domain)
    for source in DOMAINS[domain]:
        skip = [f[len(source) + 1:] for f in elsewhere if f.startswith(source + "/")]
        methods = [*(("**/" + s + "/**", "ignore") for s in skip),
                   *(EXTRA_METHODS.get(source, [])), ("**.py", "python")]
        if not (ROOT / source).is_dir():
            continue
        for filename, lineno, message, _comments, _context in extract_from_dir(
            ROOT / source, method_map=methods, keywords={"N_": None},
        ):
            if any(filename.startswith(s + "/") for s in skip):
                continue
            if isinstance(message, str) and message:
                found.setdefault(message, []).append((f"{source}/{filename}", lineno))
    return found


def po_path(language: str, domain: str = DOMAIN) -> Path:
    return LOCALE_DIR / language / "LC_MESSAGES" / f"{domain}.po"


def load(language: str, domain: str = DOMAIN) -> Catalog:
    path = po_path(language, domain)
    if not path.exists():
        return Catalog(locale=language, domain=domain, project="precheck")
    with path.open("rb") as handle:
        return read_po(handle, locale=language, domain=domain)


def problems() -> list[str]:
    """What is missing or wrong in the catalogs, one line each."""
    found: list[str] = []
    for domain in DOMAINS:
        found += _problems(domain)
    return found


def _problems(domain: str) -> list[str]:
    wanted = extract(domain)
    found: list[str] = []
    if not wanted and not po_path(LANGUAGES[0], domain).exists():
        return found
    for language in LANGUAGES:
        catalog = load(language, domain)
        for msgid in sorted(wanted):
            message = catalog.get(msgid)
            if message is None or not message.string:
                found.append(f"{language}: no translation for {msgid!r}")
            elif set(FIELD.findall(str(message.string))) != set(FIELD.findall(msgid)):
                found.append(f"{language}: the fields of {msgid!r} differ in its translation")
        mo = po_path(language, domain).with_suffix(".mo")
        translated = {m.id: m.string for m in catalog if m.id and m.string}  # msgfmt skips the rest
        if not mo.exists() or _compiled(mo) != translated:
            found.append(f"{language}: {mo.relative_to(ROOT)} does not match its .po file")
    return found


def _compiled(mo: Path) -> dict[object, object]:
    with mo.open("rb") as handle:
        translations = gettext.GNUTranslations(handle)
    return {k: v for k, v in translations._catalog.items() if k}


def update() -> None:
    for domain in DOMAINS:
        _update(domain)


def _update(domain: str) -> None:
    wanted = extract(domain)
    if not wanted and not po_path(LANGUAGES[0], domain).exists():
        return
    for language in LANGUAGES:
        old = load(language, domain)
        new = Catalog(locale=language, domain=domain, project="precheck",
                      creation_date=old.creation_date, revision_date=old.revision_date,
                      header_comment=f"# precheck messages ({language}, catalog {domain}).")
        for msgid, places in sorted(wanted.items()):
            previous = old.get(msgid)
            string = previous.string if previous is not None else ""
            if language == "en" and not string:
                string = msgid
            new.add(msgid, string, locations=places)
        path = po_path(language, domain)
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("wb") as handle:
            # No source locations: they would change with every edit anywhere and make merges
            # of parallel work collide; `grep` finds a message id faster anyway.
            write_po(handle, new, width=100, sort_output=True, no_location=True)
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
