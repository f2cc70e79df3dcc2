"""The app's line breaker is the reports' one (:mod:`precheck.reports.render.wrap`).

Kept so the screens and widgets that import it from here go on working; they are to import
``precheck.reports.render.wrap`` directly, after which this module goes.
"""

from __future__ import annotations

from precheck.reports.render.wrap import NO_END, NO_START, Prose, atoms, wrap

__all__ = ["NO_END", "NO_START", "Prose", "atoms", "wrap"]
