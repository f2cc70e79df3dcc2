"""Accuracy of the browser check's connection figures (/check) on a real shaped link.

The network benchmark's method (benchmarks/bandwidth.py): two network namespaces joined by a
veth pair, each direction shaped with ``tc tbf`` at a known rate. The whole gateway (create_app,
SQLite) is served in one namespace; in the other, Debian's Chromium (Playwright, fake camera and
microphone) opens ``/check`` and goes through the steps as a person would, up to the end of the
connection test. The figures are those the gateway measured itself and stored with the check
(``browser_checks.figures``). On the same link, the app's own quality test (``precheck run``'s
method) measures too, for comparison. For each rate and direction it prints one JSON line::

    {"rate_mbit": R, "truth_mbit": G, "direction": "down"|"up", "browser_mbit": X,
     "browser_error_percent": E, "app_mbit": Y, "app_error_percent": F}

and one line per rate with the browser's round trip and the whole connection step's time.
``truth_mbit`` is the TCP goodput ceiling of the shaped link (bandwidth.py explains it).

Namespaces are named ``browser-bw-s<pid>`` and ``browser-bw-c<pid>``. Needs root and iproute2
and /usr/bin/chromium; without them it says so and exits 0. Usage::

    sudo .venv/bin/python benchmarks/browser_check.py                # 2, 10 and 50 Mbit/s
    sudo .venv/bin/python benchmarks/browser_check.py --rates 10 --no-app
"""

from __future__ import annotations

import argparse
import contextlib
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.bandwidth import (  # noqa: E402 - the path above makes the package importable
    missing_requirements,
    payload_per_segment,
    served_in,
    shape,
    shaped_link,
    truth_mbit,
)

RATES = (2, 10, 50)
SERVER_IP, CLIENT_IP, PORT = "10.215.0.1", "10.215.0.2", 8090
CHROMIUM = "/usr/bin/chromium"


def gateway(namespace: str, database: Path) -> contextlib.AbstractContextManager[str]:
    """The whole gateway served in ``namespace`` on a SQLite file; yields its URL."""
    return served_in(namespace, [sys.executable, __file__, "--serve", str(database)],
                     SERVER_IP, PORT, wait_s=30)


def serve(database: str) -> None:
    import uvicorn

    from precheck.gateway.app import create_app
    from precheck.gateway.settings import GatewaySettings

    settings = GatewaySettings(database_url=f"sqlite:///{database}", workers=False,
                               udp_echo=False, host=SERVER_IP, port=PORT,
                               public_url=f"http://{SERVER_IP}:{PORT}")
    uvicorn.run(create_app(settings), host=SERVER_IP, port=PORT, log_level="warning",
                access_log=False)


def browse(url: str) -> dict[str, Any]:
    """Chromium goes through /check up to the end of the connection test (in the client ns)."""
    from playwright.sync_api import sync_playwright

    args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--no-first-run",
            "--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream",
            "--autoplay-policy=no-user-gesture-required",
            # camera and microphone need a secure context: https, or this plain-http test server
            f"--unsafely-treat-insecure-origin-as-secure={url}"]
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=args)
        try:
            page = browser.new_context(locale="ja-JP", viewport={"width": 390, "height": 844},
                                       is_mobile=True, has_touch=True).new_page()
            page.set_default_timeout(60000)
            page.goto(f"{url}/check?office=tenmonkan")
            page.get_by_role("button", name="始める").click()
            for step in ("camera", "microphone"):
                page.locator(f"#step-{step} button.next:not([disabled])").click()
            page.get_by_role("button", name="音を鳴らす").click()
            page.get_by_role("button", name="はい").click()
            started = time.monotonic()
            page.locator("#step-connection button.next:not([disabled])").click(timeout=120000)
            return {"step_s": round(time.monotonic() - started, 2)}
        finally:
            browser.close()


def stored_figures(database: Path) -> dict[str, Any]:
    import sqlite3

    with contextlib.closing(sqlite3.connect(database)) as db:
        row = db.execute("SELECT figures FROM browser_checks ORDER BY id DESC LIMIT 1").fetchone()
    figures: dict[str, Any] = json.loads(row[0]) if row and row[0] else {}
    return figures


def in_namespace(namespace: str, script: Path, *args: str, timeout: float = 300
                 ) -> dict[str, Any]:
    done = subprocess.run(["ip", "netns", "exec", namespace, sys.executable, str(script), *args],
                          cwd=ROOT, capture_output=True, text=True, timeout=timeout, check=False)
    if done.returncode != 0:
        msg = f"{script.name} {' '.join(args)} failed: {done.stderr.strip()[-2000:]}"
        raise RuntimeError(msg)
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def _error(measured: object, truth: float) -> float | None:
    if not isinstance(measured, int | float):
        return None
    return round((measured - truth) / truth * 100, 1)


def benchmark(rates: list[float], with_app: bool) -> int:
    why = missing_requirements() or (None if Path(CHROMIUM).exists() else
                                     "chromium is not installed (apt-get install chromium)")
    if why is not None:
        print(f"browser check benchmark skipped: {why}", file=sys.stderr)
        return 0
    with tempfile.TemporaryDirectory() as folder:
        database = Path(folder) / "gateway.sqlite3"
        with shaped_link("browser-bw", "brb", SERVER_IP, CLIENT_IP) as (
                srv, cli, dev_srv, dev_cli), gateway(srv, database) as url:
            payload = payload_per_segment(cli)
            for rate in rates:
                shape(srv, dev_srv, rate)
                shape(cli, dev_cli, rate)
                step = in_namespace(cli, Path(__file__), "--browse", url)
                figures = stored_figures(database)
                app = (in_namespace(cli, ROOT / "benchmarks" / "bandwidth.py",
                                    "--measure-precheck", url) if with_app else {})
                truth = truth_mbit(rate, payload)
                for direction, key in (("down", "download"), ("up", "upload")):
                    ours = (figures.get(key) or {}).get("mbit")
                    theirs = (app.get(key) or {}).get("mbit")
                    print(json.dumps({
                        "rate_mbit": rate, "truth_mbit": round(truth, 3),
                        "direction": direction, "browser_mbit": ours,
                        "browser_error_percent": _error(ours, truth),
                        "app_mbit": None if theirs is None else round(theirs, 3),
                        "app_error_percent": _error(theirs, truth)}), flush=True)
                print(json.dumps({
                    "rate_mbit": rate, "browser_rtt_min_ms": (figures.get("latency") or {}
                                                               ).get("min_ms"),
                    "browser_step_s": step.get("step_s"),
                    "gateway_test_s": figures.get("duration_s"),
                    "error": figures.get("error")}), flush=True)
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--rates", type=float, nargs="+", default=list(RATES),
                        help="shaped rates in Mbit/s (default: 2 10 50)")
    parser.add_argument("--no-app", action="store_true", help="measure with the browser only")
    parser.add_argument("--serve", metavar="DATABASE", help=argparse.SUPPRESS)
    parser.add_argument("--browse", metavar="URL", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.serve)
        return 0
    if args.browse:
        print(json.dumps(browse(args.browse)))
        return 0
    return benchmark(args.rates, not args.no_app)


if __name__ == "__main__":
    sys.exit(main())
