"""The app as test_tmux's booking test runs it in a terminal: one quick live check that passes
on this machine (so the verdict can reach 予約できます), the real gateway client on the address
given, saving into the folder given.

    python tests/tui/booking_app.py GATEWAY_URL SAVE_FOLDER

``PRECHECK_HOME`` (set by the test) keeps the signing key and settings private to the test.
"""

from __future__ import annotations

import sys
from pathlib import Path

from precheck import plugins
from precheck import policy as policies
from precheck.gateway_client import GatewayClient
from precheck.tui.app import PrecheckApp
from precheck.tui.checkup import Checkup

#: A quick live check that passes on this machine (no file-sharing program installed).
CHECK = "software.file_sharing"


def main(argv: list[str]) -> int:
    """Run the app until the person at the terminal quits; its return code."""
    url, folder = argv
    checkup = Checkup(plugins.load().select([CHECK]), policies.builtin())
    app = PrecheckApp(checkup, gateway=GatewayClient(url), save_folder=Path(folder))
    app.run()
    return app.return_code or 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
