"""PyInstaller runtime hook (Linux): sounddevice loads the PortAudio copied into the app.

sounddevice finds PortAudio with ``ctypes.util.find_library("portaudio")``, which looks only in
the system's library folders; on a computer without libportaudio2 it would find nothing. The
build copies the library beside the program, and this hook answers with that copy.
"""

import ctypes.util
import sys
from pathlib import Path

_bundled = Path(getattr(sys, "_MEIPASS", "")) / "libportaudio.so.2"
_find_library = ctypes.util.find_library


def _find_portaudio_first(name: str) -> str | None:
    if name == "portaudio" and _bundled.is_file():
        return str(_bundled)
    return _find_library(name)


ctypes.util.find_library = _find_portaudio_first
