"""How long each device probe takes on this machine.

Each probe runs through a fresh live ``System`` (so nothing is answered from a recording), N times;
the first run (which imports OpenCV or PortAudio) is shown apart from the median, minimum and
maximum of the others. The microphone and the speaker use a private PulseAudio server with a
null sink as the default devices when ``pulseaudio`` is installed (the server is started here and
stopped afterwards; the desktop's own server is not touched); then the same probes again with
no sound server at all. The camera probe is timed as it is here (with or without a camera), and
so is an OpenCV open attempt of a camera index that does not exist.

    .venv/bin/python benchmarks/devices.py [--runs 5]

It prints figures and asserts no timing.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from precheck.system import System



def timed(work: Callable[[], object], runs: int) -> tuple[float, list[float], object]:
    """(first run's seconds, the other runs' seconds, the last answer)."""
    times, answer = [], None
    for _ in range(runs):
        started = time.perf_counter()
        answer = work()
        times.append(time.perf_counter() - started)
    return times[0], times[1:], answer


def report(label: str, first: float, rest: list[float], answer: object) -> None:
    def ms(seconds: float) -> str:
        return f"{seconds * 1000:8.1f}"

    if rest:
        figures = (f"median {ms(statistics.median(rest))} ms  min {ms(min(rest))}  "
                   f"max {ms(max(rest))}")
    else:
        figures = "(one run)"
    print(f"{label:<44} first {ms(first)} ms  {figures}  -> {answer}")


def short(answer: object) -> str:
    if isinstance(answer, dict):
        keys = ("input", "output", "played", "opened", "width", "height", "fps_measured")
        return str({k: answer[k] for k in keys if k in answer})
    return repr(answer)[:60]


def live_system() -> System:
    from precheck.system import LiveBackend, System

    return System(LiveBackend())


def microphone() -> object:
    from precheck.probes import devices

    mic = devices.microphone(live_system())
    return {"input": mic.present,
            "rms_dbfs": None if mic.levels is None else round(mic.levels.rms_dbfs, 1)}


def speaker() -> object:
    from precheck.probes import devices

    return dict(zip(("output", "played"), devices.play_test_tone(live_system()), strict=True))


def camera() -> object:
    from precheck.probes import devices

    cam = devices.camera(live_system())
    return {"state": str(cam.state), "devices": cam.devices}


def absent_camera_open() -> object:
    import cv2

    from precheck.probes.devices import capture

    return capture.bounded("bench", 20, lambda: capture.capture_frames(63, cv2.CAP_V4L2))


def stderr_filter() -> object:
    from precheck.probes.devices.quiet import native_stderr_filtered

    with native_stderr_filtered():
        pass
    return None


def start_pulse(folder: Path) -> bool:
    if shutil.which("pulseaudio") is None or shutil.which("pactl") is None:
        return False
    config = folder / "client.conf"
    config.write_text("autospawn = no\n", encoding="utf-8")
    os.environ.update(PULSE_RUNTIME_PATH=str(folder), PULSE_CLIENTCONFIG=str(config))
    subprocess.run(["pulseaudio", "--start", "--exit-idle-time=-1"], check=True,
                   capture_output=True, timeout=30)
    for args in (["load-module", "module-null-sink", "sink_name=precheck_bench"],
                 ["set-default-sink", "precheck_bench"],
                 ["set-default-source", "precheck_bench.monitor"]):
        subprocess.run(["pactl", *args], check=True, capture_output=True, timeout=10)
    return True


def refresh_portaudio() -> None:
    sd = sys.modules.get("sounddevice")
    if sd is not None:
        sd._terminate()  # PortAudio lists devices once; these two make it list them again
        sd._initialize()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    runs = parser.parse_args().runs
    print(f"device probes, {runs} runs each (first run shown apart: it imports the library)")
    report("stderr filter: open and close the window", *timed(stderr_filter, runs))
    first, rest, answer = timed(camera, runs)
    report("device.camera probe (as this machine is)", first, rest, answer)
    if sys.platform == "linux":
        first, rest, answer = timed(absent_camera_open, runs)
        report("OpenCV V4L2 open of a missing camera", first, rest, short(answer))
    with tempfile.TemporaryDirectory(prefix="precheck-bench-pulse-") as folder:
        pulse = start_pulse(Path(folder))
        try:
            if pulse:
                first, rest, answer = timed(microphone, runs)
                report("device.microphone probe (null sink, 3 s)", first, rest, answer)
                first, rest, answer = timed(speaker, runs)
                report("device.speaker tone (null sink, 1 s)", first, rest, answer)
            else:
                print("pulseaudio is not installed: no null sink; sound probes as they are")
        finally:
            if pulse:
                subprocess.run(["pulseaudio", "--kill"], check=False, capture_output=True,
                               timeout=10)
                time.sleep(0.5)
                refresh_portaudio()
        first, rest, answer = timed(microphone, runs)
        report("device.microphone probe (no sound server)", first, rest, answer)
        first, rest, answer = timed(speaker, runs)
        report("device.speaker tone (no sound server)", first, rest, answer)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
