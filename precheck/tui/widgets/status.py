"""Status icons and words that read without colour (a colour only repeats what they say)."""

from __future__ import annotations

from rich.cells import cell_len

from precheck.result import N_

#: Icons of single cell width in every terminal (no East Asian "ambiguous" characters, which a
#: Japanese console draws two cells wide and would shift the columns).
ICONS = {"waiting": " ", "pass": "✔", "warn": "!", "fail": "✘", "skip": "-", "error": "?"}
SPINNER = "⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏"
#: Words of the two states the report never holds (the others are the report's own words).
WAITING = N_("Waiting")
RUNNING = N_("Running")


def spinner(elapsed: float) -> str:
    return SPINNER[int(elapsed * 8) % len(SPINNER)]


def pad(text: str, width: int) -> str:
    """``text`` padded with spaces to ``width`` terminal cells (Japanese letters take two)."""
    return text + " " * max(0, width - cell_len(text))

