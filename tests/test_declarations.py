"""Declarations are part of the report model: the same entries whichever front-end asks."""

from __future__ import annotations

from precheck import declarations
from precheck.i18n import Translator
from precheck.result import Status


def test_each_front_end_asks_its_set() -> None:
    assert [d.id for d in declarations.DECLARATIONS] == [
        "declaration.private_room", "declaration.no_recording"]
    assert declarations.for_device("phone") == declarations.PHONE_DECLARATIONS
    assert declarations.for_device("tablet") == declarations.PHONE_DECLARATIONS
    pc = {d.id for d in declarations.for_device("pc")}
    assert {"declaration.firewall", "declaration.antivirus", "declaration.updated_os",
            "declaration.no_file_sharing", "declaration.no_public_wifi"} <= pc
    assert all(declarations.is_declaration(d) for d in declarations.BY_ID)


def test_a_declaration_is_a_required_entry_that_says_it_was_not_measured() -> None:
    for declaration in declarations.PC_BROWSER_DECLARATIONS:
        confirmed = declarations.outcome(declaration, True)
        missing = declarations.outcome(declaration, False)
        assert confirmed.meta.required
        assert confirmed.result.status is Status.PASS
        assert missing.result.status is Status.FAIL
        assert dict(confirmed.result.evidence) == {"declared": True, "measured": False}
        assert missing.result.fix, "an undeclared statement says what to do"


def test_the_words_are_in_the_core_catalog_and_the_apps_catalog_finds_them() -> None:
    ja = Translator("ja")
    for declaration in declarations.PC_BROWSER_DECLARATIONS:
        assert ja.gettext(declaration.title) != declaration.title
        # The app renders with its own catalog ("tui"), which falls back to the core's.
        assert ja.gettext(declaration.title, "tui") == ja.gettext(declaration.title)
