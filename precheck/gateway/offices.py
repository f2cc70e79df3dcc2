"""Office profiles as the gateway uses them: :mod:`precheck.offices`, and Japan's time as TOKYO.

The model and the loader are core (the job seeker's app and the CLI read the profiles too); the
gateway's modules import them from here, with the name its calendar code uses for the offices'
time zone. Like :mod:`precheck.offices`, this imports neither FastAPI nor SQLAlchemy.
"""

from __future__ import annotations

from precheck.japan import JAPAN
from precheck.offices import OfficeProfile, load_offices

#: Every office keeps Japan's time: :data:`precheck.japan.JAPAN`, under the gateway's name.
TOKYO = JAPAN

__all__ = ["TOKYO", "OfficeProfile", "load_offices"]
