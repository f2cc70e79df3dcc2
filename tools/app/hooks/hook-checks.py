"""PyInstaller hook for the built-in checks (``checks``): every module, found by entry point."""

from PyInstaller.utils.hooks import collect_submodules

hiddenimports = collect_submodules("checks")
