"""The booking gateway: bookings only with a passing report, the offices' rules, a staff console.

An operator's install (the ``[gateway]`` extra: FastAPI, SQLAlchemy, Alembic); a job seeker's
install has none of it. This package's ``__init__``, ``offices`` and ``rules`` therefore import
neither FastAPI nor SQLAlchemy: the TUI reads office profiles through them. ``docs/gateway.md``
explains deployment, configuration and operations.
"""
