"""Translation: gettext catalogs (ja, en) applied when a message is shown, never before.

Message ids are English source strings with ``{name}`` fields. Japanese is the default language;
English is chosen by ``--lang en``, by ``PRECHECK_LANG=en``, or by an English locale.
"""

from __future__ import annotations

import gettext
import os
import sys
from collections.abc import Mapping
from functools import cache
from pathlib import Path

from precheck.result import Message, Value

LANGUAGES = ("ja", "en")
DEFAULT_LANGUAGE = "ja"
DOMAIN = "precheck"
LOCALE_DIR = Path(__file__).parent / "locale"

#: How a list argument is joined in each language.
_LIST_SEPARATOR = {"ja": "、", "en": ", "}


def resolve_language(explicit: str | None = None,
                     environ: Mapping[str, str] | None = None) -> str:
    """The language to show: explicit choice, then PRECHECK_LANG, then the user's locale.

    Anything that is not clearly English is shown in Japanese, the default for Hello Work.
    """
    env = os.environ if environ is None else environ
    for candidate in (explicit, env.get("PRECHECK_LANG")):
        if candidate:
            return _normalise(candidate) or DEFAULT_LANGUAGE
    for var in ("LC_ALL", "LC_MESSAGES", "LANG"):  # POSIX precedence
        value = env.get(var)
        if value:
            return _normalise(value) or DEFAULT_LANGUAGE
    if sys.platform == "win32" and environ is None:
        return _windows_ui_language()
    return DEFAULT_LANGUAGE


def _normalise(value: str) -> str | None:
    lowered = value.strip().lower()
    if lowered.startswith(("ja", "japanese")):
        return "ja"
    if lowered.startswith(("en", "english")):
        return "en"
    return None


def _windows_ui_language() -> str:
    if sys.platform == "win32":  # the guard also tells the type checker where windll exists
        import ctypes

        langid = ctypes.windll.kernel32.GetUserDefaultUILanguage()
        if langid & 0x3FF == 0x09:  # LANG_ENGLISH primary language id
            return "en"
    return DEFAULT_LANGUAGE


@cache
def _catalog(domain: str, locale_dir: str, language: str) -> gettext.NullTranslations:
    """A domain's catalog; every other domain falls back to the core's (shared words, such as the
    declarations of :mod:`precheck.declarations`, shown by a front-end in its own words)."""
    found = gettext.translation(domain, locale_dir, languages=[language], fallback=True)
    if (domain, locale_dir) != (DOMAIN, str(LOCALE_DIR)):
        found.add_fallback(_catalog(DOMAIN, str(LOCALE_DIR), language))
    return found


class Translator:
    """Renders messages in one language."""

    def __init__(self, language: str) -> None:
        if language not in LANGUAGES:
            msg = f"unsupported language {language!r}: choose one of {', '.join(LANGUAGES)}"
            raise ValueError(msg)
        self.language = language

    def gettext(self, msgid: str, domain: str = DOMAIN, locale_dir: Path | None = None) -> str:
        if not msgid:
            return ""
        return _catalog(domain, str(locale_dir or LOCALE_DIR), self.language).gettext(msgid)

    def render(self, message: Message, domain: str = DOMAIN,
               locale_dir: Path | None = None) -> str:
        """The message in this language, its arguments filled in (nested messages too)."""
        args = {k: self._value(v, domain, locale_dir) for k, v in message.args.items()}
        template = self.gettext(message.msgid, domain, locale_dir)
        for text in (template, message.msgid):
            try:
                return text.format(**args)
            except (KeyError, IndexError, ValueError):
                continue  # a catalog entry with a wrong field: fall back to the source text
        return message.msgid

    def _value(self, value: Value, domain: str, locale_dir: Path | None) -> object:
        if isinstance(value, Message):
            return self.render(value, domain, locale_dir)
        if isinstance(value, tuple):
            return _LIST_SEPARATOR[self.language].join(
                str(self._value(v, domain, locale_dir)) for v in value
            )
        return value

    def __call__(self, msgid: str) -> str:
        return self.gettext(msgid)
