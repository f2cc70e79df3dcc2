"""Challenge codes a person can copy, type and read aloud.

A code is 28 symbols of Crockford's base32 (``0-9`` and ``A-Z`` without I, L, O and U: no two
look alike), 140 bits of randomness, in groups of four joined by hyphens:
``7Q2M-K9XD-...``. It never starts with "-" (a command line would take it for an option), and a
code typed back in lower case, with spaces, or with O for 0 and I or L for 1 is the same code
(:func:`canonical`, Crockford's own reading rules).
"""

from __future__ import annotations

import secrets

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
SYMBOLS = 28  # 28 x 5 bits = 140 bits
GROUP = 4
_READ_AS = str.maketrans({"O": "0", "I": "1", "L": "1"})


def new() -> str:
    """A fresh random code, grouped."""
    return _grouped("".join(secrets.choice(ALPHABET) for _ in range(SYMBOLS)))


def canonical(text: str) -> str:
    """The code as issued, from what a person typed or pasted (any case, spaces, hyphens,
    look-alike letters); a text that is not a code comes back unchanged in meaning (it will
    match no issued code)."""
    plain = "".join(text.split()).replace("-", "").upper().translate(_READ_AS)
    if len(plain) != SYMBOLS or any(c not in ALPHABET for c in plain):
        return text
    return _grouped(plain)


def _grouped(plain: str) -> str:
    return "-".join(plain[i:i + GROUP] for i in range(0, len(plain), GROUP))
