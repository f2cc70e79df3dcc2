"""Version numbers as installers and package managers write them, compared numerically.

Browsers put plain dotted numbers in their uninstall keys and bundles (``122.0.2365.92``,
``17.3``); Linux packages wrap them in packaging syntax: a Debian epoch (``1:``), a Debian
revision and backport suffix (``128.5.0esr-1~deb12u1``, ``156.0.8078.79-1~deb12u1``), an
Ubuntu build tag (``155.0+build1-0ubuntu0.24.04.1~mt1``), a snap revision (``122.0-2``) or an
RPM release (``128.5.0-1.fc39``). Only the leading dotted number is the product's version.

Ubuntu's ``firefox`` and ``chromium-browser`` debs are empty transitional packages that install
the snap (``1:1snap1-0ubuntu5``): their number is not the browser's, so they have no version
here and the snap's entry tells it.
"""

from __future__ import annotations

import re

_LEADING = re.compile(r"^\s*(?:\d+:)?v?(\d+(?:\.\d+)*)")
_TRANSITIONAL = re.compile(r"^\s*(?:\d+:)?\d+snap\d", re.IGNORECASE)


def is_transitional(text: str) -> bool:
    """An Ubuntu deb that only installs the snap of the same name (``1:1snap1-0ubuntu5``)."""
    return bool(_TRANSITIONAL.match(text))


def parse_version(text: str | None) -> tuple[int, ...] | None:
    """The numeric version at the start of ``text``; None when there is none (or when it is a
    transitional package's placeholder)."""
    if not text or is_transitional(text):
        return None
    found = _LEADING.match(text)
    if found is None:
        return None
    return tuple(int(part) for part in found.group(1).split("."))


def at_least(version: tuple[int, ...], minimum: tuple[int, ...]) -> bool:
    """``version >= minimum``, missing trailing parts counting as 0 (``142`` == ``142.0.0``)."""
    width = max(len(version), len(minimum))
    return version + (0,) * (width - len(version)) >= minimum + (0,) * (width - len(minimum))


def show(version: tuple[int, ...]) -> str:
    return ".".join(str(part) for part in version)
