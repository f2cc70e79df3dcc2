"""The network checks on whole diagnostic bundles, replayed as `precheck run --bundle` does.

Sources of the bundles: tests/fixtures/bundles/SOURCES-network.md.
"""

from __future__ import annotations

import pytest

from precheck.checks.network import Connectivity, Wifi
from precheck.checks.network_quality import Quality
from precheck.result import Status
from tests.replay_bundle import replayed_result


@pytest.mark.parametrize(("bundle", "check", "status"), [
    ("network-linux-debian12-offline", Connectivity, Status.FAIL),
    ("network-linux-debian12-offline", Wifi, Status.PASS),
    ("network-linux-debian12-offline", Quality, Status.ERROR),
    ("network-windows11-ja-home", Connectivity, Status.PASS),
    ("network-windows11-ja-home", Wifi, Status.PASS),
    ("network-windows10-de-unread", Wifi, Status.ERROR),  # issue 14: used to pass
    ("network-windows11-ja-home", Quality, Status.PASS),
    ("network-macos15-hidden-pac", Connectivity, Status.PASS),
    ("network-macos15-hidden-pac", Wifi, Status.ERROR),
    ("network-macos15-hidden-pac", Quality, Status.PASS),
])
def test_bundles_replay_to_their_verdicts(bundle: str, check: type, status: Status) -> None:
    result = replayed_result(bundle, check.id)  # type: ignore[attr-defined]
    assert result.status is status, result.summary


def test_the_offline_machine_is_told_why() -> None:
    quality = replayed_result("network-linux-debian12-offline", Quality.id)
    assert quality.summary.msgid.startswith("The speed test could not reach speedtest.net")
    connectivity = replayed_result("network-linux-debian12-offline", Connectivity.id)
    assert "DNS" in connectivity.summary.msgid


def test_the_measured_figures_survive_the_replay() -> None:
    result = replayed_result("network-windows11-ja-home", Quality.id)
    assert result.evidence["download_mbit"] == pytest.approx(9.56, abs=0.02)
    assert result.evidence["udp"] == "measured"
    assert result.evidence["target"] == "gateway"


def test_no_network_name_reaches_a_result() -> None:
    for bundle in ("network-windows11-ja-home", "network-macos15-hidden-pac"):
        for check in (Connectivity, Wifi, Quality):
            result = replayed_result(bundle, check.id)
            shown = repr((result.summary, dict(result.evidence), result.fix))
            assert "aterm-10002c-g" not in shown
            assert "HomeNet" not in shown


def test_the_hidden_network_says_how_to_grant_location() -> None:
    result = replayed_result("network-macos15-hidden-pac", Wifi.id)
    assert "Location Services" in result.fix[0].msgid
    assert result.evidence["hidden_by_os"] is True
    assert result.evidence["security"] == "wpa2_personal"
