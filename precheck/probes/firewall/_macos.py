"""macOS: the application firewall's global state.

``/usr/libexec/ApplicationFirewall/socketfilterfw --getglobalstate`` answers without root on
every macOS version, including macOS 15, which removed ``/Library/Preferences/com.apple.alf.plist``
that osquery's ``alf`` table and ``defaults read`` relied on. Its line ends with ``(State = N)``:
0 off, 1 on, 2 on and blocking all incoming connections (some tools matched only the word
"enabled" and missed state 2, whose sentence does not contain it). The number is read, not the
sentence.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from precheck.errors import ProbeError
from precheck.probes.firewall import FirewallState, Profile

if TYPE_CHECKING:
    from precheck.system import System

SOCKETFILTERFW = "/usr/libexec/ApplicationFirewall/socketfilterfw"
STATE = re.compile(r"\(State\s*=\s*(\d+)\)")


def parse_global_state(text: str) -> int | None:
    """The ``State = N`` number, or None when the output does not carry one."""
    match = STATE.search(text)
    return int(match.group(1)) if match else None


def firewall(system: System) -> FirewallState:
    done = system.command([SOCKETFILTERFW, "--getglobalstate"])
    state = parse_global_state(done.stdout + done.stderr)
    if state is None:
        raise ProbeError(f"cmd:{SOCKETFILTERFW} --getglobalstate", "malformed",
                         "socketfilterfw did not print the firewall state")
    if state not in (0, 1, 2):
        raise ProbeError(f"cmd:{SOCKETFILTERFW} --getglobalstate", "malformed",
                         f"socketfilterfw printed a state precheck does not know ({state})")
    profile = Profile("application firewall", enabled=state >= 1, active=True,
                      blocks_inbound=state >= 1)
    return FirewallState(rule="any", profiles=(profile,))
