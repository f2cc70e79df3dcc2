"""PyInstaller hook for the ``precheck`` package (used by tools/build_app.py).

Every module the app may import by name (the probes are chosen per system at run time), and its
data: the message catalogs (.mo), the policy data and JSON Schemas, the app's stylesheet and the
office profiles. Not the gateway's server side (FastAPI, templates, migrations): a job seeker's
app only reads the office profiles.
"""

import os
from pathlib import Path

from PyInstaller.utils.hooks import collect_data_files, collect_submodules

_GATEWAY_KEPT = {"precheck.gateway", "precheck.gateway.offices"}


def _wanted(name: str) -> bool:
    return not name.startswith("precheck.gateway.") or name in _GATEWAY_KEPT


hiddenimports = collect_submodules("precheck", filter=_wanted)
datas = collect_data_files("precheck", excludes=["**/*.po", "**/*.pot", "gateway/**"])
# The office profiles: the checkout's, or an operator's file with each office's gateway_url.
_offices = os.environ.get("PRECHECK_BUILD_OFFICES") or str(
    Path(collect_data_files("precheck", includes=["gateway/data/offices.toml"])[0][0]))
datas.append((_offices, "precheck/gateway/data"))
