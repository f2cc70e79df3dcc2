"""The script PyInstaller freezes (tools/build_app.py): the app's entry point, nothing else."""

from precheck.standalone import main

main()
