"""Builds a real installed distribution (a *.dist-info folder and its modules) for discovery tests.

importlib.metadata finds it on sys.path exactly as it finds a pip-installed plugin package.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
#: The distribution this repository builds (read from pyproject.toml, so a rename cannot leave a
#: test behind): the provider of precheck's own checks.
_PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["project"]
OWN_DISTRIBUTION: str = _PROJECT["name"]


#: The sample check plugin kept in the repository (docs/plugins.md).
SAMPLE_PLUGIN = ROOT / "examples" / "precheck-diskspace"


def make_distribution(site: Path, name: str, entry_points: dict[str, str],
                      modules: dict[str, str], version: str = "1.0") -> Path:
    """Write distribution ``name`` into ``site`` with checks registered under our group."""
    site.mkdir(parents=True, exist_ok=True)
    info = site / f"{name.replace('-', '_')}-{version}.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(
        f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n")
    lines = ["[precheck.checks.v1]", *(f"{k} = {v}" for k, v in entry_points.items())]
    (info / "entry_points.txt").write_text("\n".join(lines) + "\n")
    for filename, source in modules.items():
        (site / filename).write_text(source)
    return site


def source_distribution(site: Path, project: Path = SAMPLE_PLUGIN) -> list[Path]:
    """The plugin project at ``project`` as an installed distribution: its metadata and entry
    points (from its pyproject.toml) in ``site``, its code in its ``src`` folder. Put both
    returned folders on sys.path (or PYTHONPATH) to install it."""
    meta = tomllib.loads((project / "pyproject.toml").read_text("utf-8"))["project"]
    checks = meta["entry-points"]["precheck.checks.v1"]
    make_distribution(site, meta["name"], dict(checks), {}, version=meta["version"])
    return [site, project / "src"]


GOOD_CHECK = '''
from precheck.api import Check

class Hello(Check):
    id = "vendor.hello"
    article = "5(1)"
    required = False
    title = "Hello"

    def run(self, ctx):
        return self.passed("hello from a third-party plugin")
'''

BAD_METADATA = '''
from precheck.api import Check

class NoArticle(Check):
    id = "vendor.bad_metadata"
    article = "Article five"
    required = "yes"
    title = ""

    def run(self, ctx):
        return self.passed("never")
'''

BROKEN_IMPORT = "import precheck_module_that_does_not_exist  # the plugin's own bug\n"


def vendor_distribution(site: Path) -> Path:
    """One good check, one that fails to import, one with bad metadata, one with a wrong id."""
    return make_distribution(
        site, "precheck-vendor-checks",
        {
            "vendor.hello": "vendor_good:Hello",
            "vendor.broken": "vendor_broken:Anything",
            "vendor.bad_metadata": "vendor_bad:NoArticle",
            "vendor.misnamed": "vendor_good:Hello",
        },
        {"vendor_good.py": GOOD_CHECK, "vendor_broken.py": BROKEN_IMPORT,
         "vendor_bad.py": BAD_METADATA},
    )
