"""Words the app shows, in the chosen language: catalog ``tui``, and the core's words."""

from __future__ import annotations

from precheck.i18n import Translator
from precheck.result import Message

DOMAIN = "tui"


class Words:
    """Translates for one language: ``words(msgid, **args)`` from the app's own catalog."""

    def __init__(self, language: str) -> None:
        self.language = language
        self.translator = Translator(language)

    def __call__(self, msgid: str, **args: object) -> str:
        return self.translator.render(Message.of(msgid, **args), DOMAIN)

    def core(self, msgid: str) -> str:
        """A word from precheck's core catalog (status words, the verdict), as the CLI says it."""
        return self.translator.gettext(msgid)

    def message(self, message: Message, domain: str = DOMAIN) -> str:
        return self.translator.render(message, domain)
