"""What nobody can measure, declared by the job seeker: part of the report model.

A declaration is not a measurement. It goes into the report as an entry of its own, with an id
under ``declaration.`` and ``"measured": false`` in its evidence, so staff and the gateway can tell
it from a check. It is required: until the job seeker confirms it, it blocks booking like a failed
check, because the terms make each one a condition of the consultation.

Every front-end asks the same statements: the app (the two of :data:`DECLARATIONS`), the browser
check on the gateway (:func:`for_device`: on a phone or tablet also "no free public Wi-Fi", since
a browser cannot see the network; on a computer's browser also the security items the app would
have measured). The gate can require them by id (``precheck.gateway.sources``).

Their words live in the core catalog (``precheck``), so the report stores them rendered in
Japanese and English like every other entry, whichever front-end asked.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from precheck.result import N_, Message, Result, Status, freeze
from precheck.runner import CheckMeta, Outcome

#: Every declaration id starts with this.
PREFIX = "declaration."


@dataclass(frozen=True, slots=True)
class Declaration:
    """One statement the job seeker confirms."""

    id: str
    article: str
    title: str  # message id
    statement: str  # message id: what the job seeker promises, in the first person
    fix: str  # message id: what to do before confirming


PRIVATE_ROOM = Declaration(
    "declaration.private_room", "12(3)", N_("Private room (your declaration)"),
    N_("I will take the consultation in a private room, or where nobody else is around. If "
       "an interpreter or a helper has to be with me, I will tell the office beforehand."),
    N_("Find a room where you can talk alone with the door closed, then confirm this "
       "declaration."),
)
NO_RECORDING = Declaration(
    "declaration.no_recording", "12(2)", N_("No recording (your declaration)"),
    N_("I will not record the consultation in any way: no video, no sound, no screenshots."),
    N_("Close any recording program and confirm this declaration."),
)
NO_PUBLIC_WIFI = Declaration(
    "declaration.no_public_wifi", "5(2)", N_("No free public Wi-Fi (your declaration)"),
    N_("I will connect through mobile data (4G/5G) or my own home Wi-Fi with a password, not "
       "through free Wi-Fi in a shop, station or other public place."),
    N_("Turn off Wi-Fi and use mobile data, or connect to your own home Wi-Fi, then confirm "
       "this declaration."),
)
# What the app measures on a computer and a browser cannot see (Article 5(1), (3)-(6)).
UPDATED_OS = Declaration(
    "declaration.updated_os", "5(3)", N_("Updated operating system (your declaration)"),
    N_("This computer's operating system is still supported by its maker and has the latest "
       "security updates."),
    N_("Install the waiting updates (Windows Update, or the software update of your system), "
       "then confirm this declaration."),
)
FIREWALL_ON = Declaration(
    "declaration.firewall", "5(4)", N_("Firewall on (your declaration)"),
    N_("This computer's firewall (for example Windows Defender Firewall) is turned on."),
    N_("Turn the firewall on in the security settings, then confirm this declaration."),
)
ANTIVIRUS_ON = Declaration(
    "declaration.antivirus", "5(6)", N_("Antivirus up to date (your declaration)"),
    N_("This computer has antivirus software turned on, with up-to-date virus definitions, and "
       "no virus has been found."),
    N_("Turn the antivirus on and update it (Windows Security: Virus & threat protection), "
       "then confirm this declaration."),
)
NO_FILE_SHARING = Declaration(
    "declaration.no_file_sharing", "5(5)", N_("No file-sharing software (your declaration)"),
    N_("No file-sharing software (Winny, Share, BitTorrent and the like) is installed on this "
       "computer, and I will close programs I do not need during the consultation."),
    N_("Uninstall file-sharing software, then confirm this declaration."),
)

#: What every front-end asks (the app shows these two; the app measures the rest).
DECLARATIONS = (PRIVATE_ROOM, NO_RECORDING)
#: A phone's or tablet's browser cannot see the network it uses (Article 5(2)).
PHONE_DECLARATIONS = (*DECLARATIONS, NO_PUBLIC_WIFI)
#: A computer's browser cannot see what the app would have measured.
PC_BROWSER_DECLARATIONS = (*PHONE_DECLARATIONS, UPDATED_OS, FIREWALL_ON, ANTIVIRUS_ON,
                           NO_FILE_SHARING)

#: Every declaration by id.
BY_ID: Mapping[str, Declaration] = MappingProxyType(
    {d.id: d for d in PC_BROWSER_DECLARATIONS})


def for_device(device_class: str) -> tuple[Declaration, ...]:
    """The declarations a browser check asks on a ``phone``, ``tablet`` or ``pc``."""
    return PC_BROWSER_DECLARATIONS if device_class == "pc" else PHONE_DECLARATIONS


def is_declaration(entry_id: str) -> bool:
    """True for a report entry that is a declaration, not a measurement."""
    return entry_id.startswith(PREFIX)


def outcome(declaration: Declaration, confirmed: bool) -> Outcome:
    """The declaration as a report entry: ``pass`` once confirmed, else ``fail`` (not declared)."""
    meta = CheckMeta(declaration.id, declaration.article, True, Message.of(declaration.title))
    statement = Message.of(declaration.statement)
    evidence = {"declared": confirmed, "measured": False}
    if confirmed:
        summary = Message.of(N_("You declared (not measured): {statement}"), statement=statement)
        return Outcome(meta, Result(declaration.id, Status.PASS, summary, freeze(evidence)))
    summary = Message.of(N_("Not declared yet: {statement}"), statement=statement)
    return Outcome(meta, Result(declaration.id, Status.FAIL, summary, freeze(evidence),
                                (Message.of(declaration.fix),)))
