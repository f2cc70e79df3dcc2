"""precheck: checks a job seeker's device against the Hello Work online consultation terms.

Importing this package does no I/O and loads nothing heavy, so `precheck --version` stays fast.
The public API for check authors lives in :mod:`precheck.api`.
"""

__version__ = "0.1.0"
