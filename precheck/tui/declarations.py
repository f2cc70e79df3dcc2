"""What nobody can measure, declared by the job seeker: a private room (12(3)), no recording
(12(2)).

A declaration is not a measurement. It goes into the report as an entry of its own, with an id
under ``declaration.`` and ``"measured": false`` in its evidence, so staff and the gateway can tell
it from a check. It is required: until the job seeker confirms it, it blocks booking like a failed
check, because the terms make both a condition of the consultation. Its words live in the ``tui``
catalog (the report stores them rendered in Japanese and English, like every other entry).
"""

from __future__ import annotations

from dataclasses import dataclass

from precheck.result import N_, Message, Result, Status, freeze
from precheck.runner import CheckMeta, Outcome
from precheck.tui.text import DOMAIN


@dataclass(frozen=True, slots=True)
class Declaration:
    """One statement the job seeker confirms."""

    id: str
    article: str
    title: str  # message id
    statement: str  # message id: what the job seeker promises, in the first person
    fix: str  # message id: what to do before confirming


DECLARATIONS = (
    Declaration(
        "declaration.private_room", "12(3)", N_("Private room (your declaration)"),
        N_("I will take the consultation in a private room, or where nobody else is around. If "
           "an interpreter or a helper has to be with me, I will tell the office beforehand."),
        N_("Find a room where you can talk alone with the door closed, then confirm this "
           "declaration."),
    ),
    Declaration(
        "declaration.no_recording", "12(2)", N_("No recording (your declaration)"),
        N_("I will not record the consultation in any way: no video, no sound, no screenshots."),
        N_("Close any recording program and confirm this declaration."),
    ),
)


def outcome(declaration: Declaration, confirmed: bool) -> Outcome:
    """The declaration as a report entry: ``pass`` once confirmed, else ``fail`` (not declared)."""
    meta = CheckMeta(declaration.id, declaration.article, True, Message.of(declaration.title),
                     DOMAIN)
    statement = Message.of(declaration.statement)
    evidence = {"declared": confirmed, "measured": False}
    if confirmed:
        summary = Message.of(N_("You declared (not measured): {statement}"), statement=statement)
        return Outcome(meta, Result(declaration.id, Status.PASS, summary, freeze(evidence)))
    summary = Message.of(N_("Not declared yet: {statement}"), statement=statement)
    return Outcome(meta, Result(declaration.id, Status.FAIL, summary, freeze(evidence),
                                (Message.of(declaration.fix),)))

