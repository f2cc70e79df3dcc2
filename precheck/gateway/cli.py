"""``precheck gateway ...``: the operator's commands (serve, create-staff, lift-block, ...).

Dispatched from :func:`precheck.cli.run_cli` before the job seeker's parser is built, so the
gateway's heavy modules (FastAPI, SQLAlchemy, uvicorn) are imported only here and only when used.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from precheck.cli import Environment, ExitStatus


def run(argv: Sequence[str], env: Environment) -> ExitStatus:
    """Parse the gateway's arguments and run the command."""
    from precheck.cli import ExitStatus

    parser = argparse.ArgumentParser(prog="precheck gateway")
    parser.add_subparsers(dest="command", required=True)
    try:
        parser.parse_args(list(argv))
    except SystemExit as exc:
        return ExitStatus.OK if exc.code in (0, None) else ExitStatus.USAGE
    env.stderr.write("precheck gateway: not implemented yet\n")
    return ExitStatus.USAGE
