"""``python -m precheck``: the same as the ``precheck`` command."""

from precheck.cli import main

if __name__ == "__main__":
    main()
