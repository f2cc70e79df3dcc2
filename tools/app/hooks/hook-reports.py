"""PyInstaller hook for ``reports``: every module and the report's HTML templates."""

from PyInstaller.utils.hooks import collect_data_files, collect_submodules

hiddenimports = collect_submodules("reports")
datas = collect_data_files("reports")
