"""Challenge codes: safe on a command line, free of look-alike letters, read back as typed."""

from __future__ import annotations

import re

from precheck.gateway import challenge_code

CODE = re.compile(r"^[0-9A-HJKMNP-TV-Z]{4}(?:-[0-9A-HJKMNP-TV-Z]{4}){6}$")


def test_codes_are_grouped_and_never_start_with_a_hyphen_or_hold_look_alikes() -> None:
    codes = {challenge_code.new() for _ in range(2000)}
    assert len(codes) == 2000
    for code in codes:
        assert CODE.match(code), code
        assert not set(code) & set("ILOU")
    # 28 symbols of 32 kinds: at least 128 bits of randomness
    assert challenge_code.SYMBOLS * 5 >= 128


def test_a_code_typed_back_loosely_is_the_same_code() -> None:
    code = "7Q2M-K9XD-0011-ABCD-EFGH-JKMN-PQRS"
    for typed in ("7q2m-k9xd-0011-abcd-efgh-jkmn-pqrs", "7Q2M K9XD 0011 ABCD EFGH JKMN PQRS",
                  "7Q2MK9XD0011ABCDEFGHJKMNPQRS", "7Q2M-K9XD-OOIL-ABCD-EFGH-JKMN-PQRS"):
        assert challenge_code.canonical(typed) == code
    assert challenge_code.canonical("not a code") == "not a code"
