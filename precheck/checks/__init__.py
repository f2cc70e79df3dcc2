"""precheck's built-in checks.

Each module is one concern. The checks are registered in pyproject.toml under the entry-point
group ``precheck.checks.v1``, exactly as a third-party plugin registers its own; nothing here is
imported by the core.
"""
