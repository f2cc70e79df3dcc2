"""Opens the app for bare ``precheck`` on a terminal: this computer's checks, live devices, and
the gateway named by ``PRECHECK_GATEWAY_URL`` or by the settings (see
:mod:`precheck.tui.office_gateway`)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from precheck.api import Check, Need
from precheck.probes.devices import inventory
from precheck.tui.checkup import needs_of
from precheck.tui.feeds import CameraSource, LiveFeeds


def open_app(environ: Mapping[str, str], language: str) -> int:
    """Run the app until the job seeker quits; the app's return code (0, or 1 after a crash)."""
    from precheck import plugins
    from precheck import policy as policies
    from precheck.tui.app import PrecheckApp
    from precheck.tui.checkup import Checkup
    from precheck.tui.office_gateway import OfficeGateway

    # PRECHECK_GATEWAY_URL, else the settings (precheck config): a malformed address is a usage
    # error, said now.
    office_gateway, gateway = OfficeGateway.start(environ)
    catalog = plugins.load()
    checkup = Checkup(catalog, policies.load(None, catalog.checks),
                      gateway_url=None if gateway is None else gateway.base_url)
    app = PrecheckApp(checkup, language=language, gateway=gateway,
                      feeds=lambda ids: live_feeds(catalog.select(ids).checks),
                      office_gateway=office_gateway)
    app.run()
    return app.return_code or 0


def live_feeds(checks: Iterable[type[Check]]) -> LiveFeeds | None:
    """The default camera and microphone of this computer, as far as the checks need them."""
    needs = needs_of(checks)
    camera = None
    if Need.CAMERA in needs:
        camera = CameraSource(inventory.camera_index(0), inventory.camera_api())
    microphone = Need.MICROPHONE in needs
    if camera is None and not microphone:
        return None
    return LiveFeeds(camera, microphone)
