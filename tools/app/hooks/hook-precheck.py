"""PyInstaller hook for the ``precheck`` package (used by tools/build_app.py).

Every module the app may import by name (the probes are chosen per system at run time), and its
data: the message catalogs (.mo), the policy data and JSON Schemas, the app's stylesheet and the
office profiles. Not the gateway (FastAPI, templates, migrations): a job seeker's app reads the
office profiles through the core's ``precheck.offices``; the file itself stays in the gateway's
data folder, where ``precheck.offices`` looks for it.
"""

import os
from pathlib import Path

from PyInstaller.utils.hooks import collect_data_files, collect_submodules


def _wanted(name: str) -> bool:
    """Not the gateway's modules (``precheck.gateway_client`` is the app's: it stays)."""
    return name != "precheck.gateway" and not name.startswith("precheck.gateway.")


hiddenimports = collect_submodules("precheck", filter=_wanted)
datas = collect_data_files("precheck", excludes=["**/*.po", "**/*.pot", "gateway/**"])
# The office profiles: the checkout's, or an operator's file with each office's gateway_url.
_offices = os.environ.get("PRECHECK_BUILD_OFFICES") or str(
    Path(collect_data_files("precheck", includes=["gateway/data/offices.toml"])[0][0]))
datas.append((_offices, "precheck/gateway/data"))
