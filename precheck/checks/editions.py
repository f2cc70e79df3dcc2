"""Antivirus editions: which products count as 有償版相当 (Article 5(6)), as policy data.

The policy's ``[security.antivirus]`` table ``editions`` classes each product by its Security
Center display name (or, on macOS and Linux, the product name precheck gives); ``edition_verdicts``
says what each class gives once the product is on and up to date. A product matched by no entry is
``unknown``: named and judged by its own verdict (a warning by default), never passed silently.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from precheck.result import N_

BUILTIN, COMMERCIAL, FREE, EITHER, OPEN_SOURCE, UNKNOWN = (
    "builtin", "commercial", "free", "either", "open_source", "unknown")
XPROTECT = "XProtect"
#: A class's verdict, weakest first: among several protecting products the mildest counts.
ORDER = {"pass": 0, "warn": 1, "fail": 2}


@dataclass(frozen=True, slots=True)
class Edition:
    """One entry of the policy's edition table."""

    name: str
    cls: str
    patterns: tuple[re.Pattern[str], ...]

    def matches(self, product: str) -> bool:
        return any(p.fullmatch(product.strip()) for p in self.patterns)


@dataclass(frozen=True, slots=True)
class Judged:
    """A protecting product with its class and the verdict the policy gives that class."""

    product: str
    cls: str
    verdict: str


@dataclass(frozen=True, slots=True)
class EditionPolicy:
    """The edition table and the verdict of each class."""

    editions: tuple[Edition, ...]
    verdicts: Mapping[str, str]
    xprotect_alone: str

    @classmethod
    def from_policy(cls, knobs: Mapping[str, Any]) -> EditionPolicy:
        editions = tuple(
            Edition(str(e["name"]), str(e["class"]),
                    tuple(re.compile(str(p), re.IGNORECASE) for p in e["names"]))
            for e in knobs["editions"])
        return cls(editions, dict(knobs["edition_verdicts"]),
                   str(knobs["edition_rules"]["xprotect_alone"]))

    def classify(self, product: str) -> str:
        """The class of a product by its name: the first matching entry, else unknown."""
        return next((e.cls for e in self.editions if e.matches(product)), UNKNOWN)

    def judge(self, product: str, cls: str | None = None) -> Judged:
        found = cls or self.classify(product)
        return Judged(product, found, str(self.verdicts[found]))

    def xprotect(self) -> Judged:
        """XProtect alone: built in, judged by its own rule (it is no scanner one can run)."""
        return Judged(XPROTECT, BUILTIN, self.xprotect_alone)

    @staticmethod
    def mildest(judged: Iterable[Judged]) -> list[Judged]:
        """The products whose verdict is the mildest present (one accepted product suffices)."""
        items = list(judged)
        if not items:
            return []
        best = min(ORDER[j.verdict] for j in items)
        return [j for j in items if ORDER[j.verdict] == best]


#: What each class is, in plain words (evidence and the warning say it).
CLASS_WORDS = {
    BUILTIN: N_("built into the operating system"),
    COMMERCIAL: N_("a paid product"),
    FREE: N_("the free edition of a product that is also sold"),
    EITHER: N_("free or paid edition: cannot be told from its name"),
    OPEN_SOURCE: N_("free software with no paid edition"),
    UNKNOWN: N_("not in precheck's list of antivirus products"),
}
