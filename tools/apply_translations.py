"""Fill Japanese translations into the ja catalog from a Python file holding a dict ``JA``.

    python tools/apply_translations.py FILE.py [DOMAIN]

DOMAIN is the catalog (precheck, tui or gateway; see catalogs.py), precheck by default.

Useful when translating many new messages at once; existing translations are overwritten only
for the message ids the file names. Then run ``python tools/catalogs.py update``.
"""

from __future__ import annotations

import runpy
import sys

from babel.messages.pofile import write_po
from catalogs import DOMAIN, load, po_path, update


def main() -> int:
    table = runpy.run_path(sys.argv[1])["JA"]
    domain = sys.argv[2] if len(sys.argv) > 2 else DOMAIN
    update()  # make sure every current message id is present first
    catalog = load("ja", domain)
    for msgid, text in table.items():
        message = catalog.get(msgid)
        if message is not None:
            message.string = text
    with po_path("ja", domain).open("wb") as handle:
        write_po(handle, catalog, width=100, sort_output=True, no_location=True)
    update()  # recompile
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
