"""Accuracy and speed of precheck's connection-quality test on a real shaped link.

Builds two network namespaces joined by a veth pair, shapes each direction with ``tc tbf`` at a
known rate, serves the gateway's measurement endpoints (precheck.gateway.measure, with the UDP
echo) in one namespace and measures from the other, at 2, 10, 50 and 200 Mbit/s, download and
upload. In the same run, on the same link, speedtest-cli measures with its own unmodified method
(``Speedtest.download()`` / ``upload()`` against the same endpoints as a Speedtest Mini server;
only its configuration is supplied, since it would fetch it from speedtest.net). For each rate
and direction it prints one JSON line::

    {"rate_mbit": R, "truth_mbit": G, "direction": "down"|"up", "precheck_mbit": X,
     "precheck_s": T, "speedtest_cli_mbit": Y, "speedtest_cli_s": U}

``truth_mbit`` is the TCP goodput ceiling of the shaped link: tbf counts whole Ethernet frames
(1514 bytes for a full 1500-byte IP packet on a veth), of which a full TCP segment carries 1448
payload bytes (1500 - 20 IP - 20 TCP - 12 timestamp option; 1460 without TCP timestamps), so
truth = rate x 1448 / 1514. HTTP headers (a few hundred bytes per multi-megabyte body) are far
below the figures' precision. ``precheck_s`` is the wall time of precheck's phase for that
direction (connecting and stopping included) inside one whole quality test (discovery,
latency, UDP jitter and loss, download, upload), which is limited to 10 s in all;
``speedtest_cli_s`` is the wall time of speedtest-cli's ``download()`` or ``upload()`` call.
Progress and the whole test's time go to standard error.

Needs root (network namespaces) and iproute2 (``ip``, ``tc``); without them it says so and exits
0. Usage::

    sudo .venv/bin/python benchmarks/bandwidth.py                 # all four rates
    sudo .venv/bin/python benchmarks/bandwidth.py --rates 10 --no-speedtest-cli
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
RATES = (2, 10, 50, 200)
SERVER_IP, CLIENT_IP, PORT = "10.213.0.1", "10.213.0.2", 8080
#: tbf parameters of the shaped link (the recipe that works on this kind of machine): a 32 kbit
#: bucket, and a queue of at most 50 ms at the shaped rate.
BURST, LATENCY = "32kbit", "50ms"
ETHERNET_HEADER = 14
IP_MTU = 1500


def payload_per_segment(namespace: str) -> int:
    """TCP payload bytes of a full segment: 1448 with TCP timestamps, 1460 without."""
    done = subprocess.run(["ip", "netns", "exec", namespace, "cat",
                           "/proc/sys/net/ipv4/tcp_timestamps"],
                          capture_output=True, text=True, check=False)
    timestamps = done.stdout.strip() != "0"
    return IP_MTU - 20 - 20 - (12 if timestamps else 0)


def truth_mbit(rate: float, payload: int) -> float:
    """The TCP goodput ceiling of a tbf-shaped veth link at ``rate`` Mbit/s."""
    return rate * payload / (IP_MTU + ETHERNET_HEADER)


def missing_requirements() -> str | None:
    if sys.platform != "linux":
        return "network namespaces exist only on Linux"
    if os.geteuid() != 0:
        return "creating network namespaces needs root (run it with sudo)"
    for tool in ("ip", "tc"):
        if shutil.which(tool) is None:
            return f"{tool} is not installed (Debian: apt-get install iproute2)"
    return None


def _ip(*args: str) -> None:
    subprocess.run(["ip", *args], check=True, capture_output=True)


@contextlib.contextmanager
def shaped_link(prefix: str = "pchk-bw", device: str = "pbw", server_ip: str = SERVER_IP,
                client_ip: str = CLIENT_IP) -> Iterator[tuple[str, str, str, str]]:
    """Two namespaces joined by a veth pair: (server ns, client ns, server dev, client dev).
    Other benchmarks pass their own names and addresses, so two can run at once."""
    tag = f"{os.getpid() % 100000}"
    srv, cli = f"{prefix}-s{tag}", f"{prefix}-c{tag}"
    dev_srv, dev_cli = f"{device}s{tag}", f"{device}c{tag}"
    _ip("netns", "add", srv)
    try:
        _ip("netns", "add", cli)
        _ip("link", "add", dev_srv, "type", "veth", "peer", "name", dev_cli)
        _ip("link", "set", dev_srv, "netns", srv)
        _ip("link", "set", dev_cli, "netns", cli)
        _ip("-n", srv, "addr", "add", f"{server_ip}/24", "dev", dev_srv)
        _ip("-n", cli, "addr", "add", f"{client_ip}/24", "dev", dev_cli)
        for ns, dev in ((srv, dev_srv), (cli, dev_cli)):
            _ip("-n", ns, "link", "set", "lo", "up")
            _ip("-n", ns, "link", "set", dev, "up")
        yield srv, cli, dev_srv, dev_cli
    finally:
        for ns in (cli, srv):
            subprocess.run(["ip", "netns", "del", ns], check=False, capture_output=True)


def shape(namespace: str, device: str, rate: float) -> None:
    """Limit what ``device`` sends to ``rate`` Mbit/s (tbf)."""
    subprocess.run(["ip", "netns", "exec", namespace, "tc", "qdisc", "replace", "dev", device,
                    "root", "tbf", "rate", f"{rate}mbit", "burst", BURST, "latency", LATENCY],
                   check=True, capture_output=True)


@contextlib.contextmanager
def served_in(namespace: str, command: list[str], host: str, port: int,
              wait_s: float = 20) -> Iterator[str]:
    """``command`` run in ``namespace`` until the block ends; yields ``http://host:port`` once
    something there accepts a connection (raises when the command stops first)."""
    process = subprocess.Popen(["ip", "netns", "exec", namespace, *command], cwd=ROOT,
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + wait_s
        while time.monotonic() < deadline:
            probe = subprocess.run(["ip", "netns", "exec", namespace, sys.executable, "-c",
                                    "import socket; socket.create_connection("
                                    f"('{host}', {port}), 1).close()"],
                                   capture_output=True, check=False)
            if probe.returncode == 0:
                break
            if process.poll() is not None:
                raise RuntimeError(f"{command[-1]} stopped: "
                                   + (process.stderr.read().decode() if process.stderr else ""))
            time.sleep(0.2)
        yield f"http://{host}:{port}"
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def server(namespace: str) -> contextlib.AbstractContextManager[str]:
    """The gateway's measurement endpoints served in ``namespace``; yields the gateway URL."""
    return served_in(namespace, [sys.executable, __file__, "--serve", SERVER_IP, str(PORT)],
                     SERVER_IP, PORT)


def in_namespace(namespace: str, *args: str, timeout: float = 120) -> dict[str, Any]:
    """Run this script with ``args`` in ``namespace``; its last output line is JSON."""
    done = subprocess.run(["ip", "netns", "exec", namespace, sys.executable, __file__, *args],
                          cwd=ROOT, capture_output=True, text=True, timeout=timeout, check=False)
    if done.returncode != 0:
        msg = f"{' '.join(args)} failed: {done.stderr.strip()[-2000:]}"
        raise RuntimeError(msg)
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


# -- the parts that run inside the namespaces ------------------------------------------------

def serve(host: str, port: int) -> None:
    """A bare app with only the measurement router and the UDP echo (no booking parts)."""
    import uvicorn
    from fastapi import FastAPI

    from precheck.gateway.measure import UDP_ECHO_STATE, router
    from precheck.gateway.udp_echo import start_udp_echo

    app = FastAPI()
    app.include_router(router)
    echo = start_udp_echo(host, port)
    setattr(app.state, UDP_ECHO_STATE, echo)
    try:
        uvicorn.run(app, host=host, port=port, log_level="warning", access_log=False)
    finally:
        echo.close()


def measure_precheck(gateway: str) -> dict[str, Any]:
    """precheck's whole quality test against the gateway, as `precheck run` does it."""
    from precheck.probes.network import quality

    answer = quality.run(gateway)
    for direction in ("download", "upload"):
        if isinstance(answer.get(direction), dict):
            answer[direction].pop("samples", None)
    return answer


def measure_speedtest_cli(gateway: str) -> dict[str, Any]:
    """speedtest-cli's own method, unmodified: only its configuration is supplied."""
    sys.path.insert(0, str(ROOT))
    from precheck.probes.network.engine import offline_speedtest_class
    from precheck.probes.network.quality import mini_base

    engine = offline_speedtest_class()()
    engine.get_best_server(engine.set_mini_server(mini_base(gateway)))  # as its --mini does
    started = time.monotonic()
    down = engine.download()
    down_s = time.monotonic() - started
    started = time.monotonic()
    up = engine.upload()
    up_s = time.monotonic() - started
    return {"down_mbit": down / 1e6, "down_s": down_s, "up_mbit": up / 1e6, "up_s": up_s}


# -- the benchmark ------------------------------------------------------------------------------

def benchmark(rates: list[float], with_speedtest_cli: bool) -> int:
    why = missing_requirements()
    if why is not None:
        print(f"bandwidth benchmark skipped: {why}", file=sys.stderr)
        return 0
    with shaped_link() as (srv, cli, dev_srv, dev_cli), server(srv) as gateway:
        payload = payload_per_segment(cli)
        for rate in rates:
            shape(srv, dev_srv, rate)  # what the server sends: the download
            shape(cli, dev_cli, rate)  # what the client sends: the upload
            ours = in_namespace(cli, "--measure-precheck", gateway)
            if ours.get("error"):
                print(f"precheck at {rate} Mbit/s: {ours['error']}", file=sys.stderr)
            print(f"precheck at {rate} Mbit/s: whole test {ours['duration_s']:.2f} s",
                  file=sys.stderr)
            theirs = (in_namespace(cli, "--measure-speedtest-cli", gateway)
                      if with_speedtest_cli else {})
            for direction, key in (("down", "download"), ("up", "upload")):
                phase = ours.get(key) or {}
                line = {
                    "rate_mbit": rate,
                    "truth_mbit": round(truth_mbit(rate, payload), 3),
                    "direction": direction,
                    "precheck_mbit": phase.get("mbit"),
                    "precheck_s": phase.get("duration_s"),
                    "speedtest_cli_mbit": _round(theirs.get(f"{direction}_mbit")),
                    "speedtest_cli_s": _round(theirs.get(f"{direction}_s")),
                }
                print(json.dumps(line), flush=True)
    return 0


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 3)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--rates", type=float, nargs="+", default=list(RATES),
                        help="shaped rates in Mbit/s (default: 2 10 50 200)")
    parser.add_argument("--no-speedtest-cli", action="store_true",
                        help="measure with precheck only")
    parser.add_argument("--serve", nargs=2, metavar=("HOST", "PORT"), help=argparse.SUPPRESS)
    parser.add_argument("--measure-precheck", metavar="URL", help=argparse.SUPPRESS)
    parser.add_argument("--measure-speedtest-cli", metavar="URL", help=argparse.SUPPRESS)
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    if args.serve:
        serve(args.serve[0], int(args.serve[1]))
        return 0
    if args.measure_precheck:
        print(json.dumps(measure_precheck(args.measure_precheck)))
        return 0
    if args.measure_speedtest_cli:
        print(json.dumps(measure_speedtest_cli(args.measure_speedtest_cli)))
        return 0
    return benchmark(args.rates, not args.no_speedtest_cli)


if __name__ == "__main__":
    sys.exit(main())
