"""network.connectivity: the check's rules on replayed answers, and the live probe against a real
local HTTPS server (a certificate from a test authority this test makes and trusts)."""

from __future__ import annotations

import contextlib
import datetime as dt
import ssl
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from precheck.api import Context
from precheck.checks.network import Connectivity
from precheck.probes.network import CONNECTIVITY_PROBE, GATEWAY_PROBE, ROUTE_PROBE, web
from precheck.probes.network.facts import Https
from precheck.result import Status
from precheck.system import Platform
from tests.network_support import serving

NOW = "2026-11-23T01:00:00+00:00"
LINUX_PROXY = {"env:proxy": {}, "cmd:LC_ALL=C gsettings get org.gnome.system.proxy mode":
               {"returncode": 0, "stdout": "'none'\n", "stderr": ""}}


def target(name: str, role: str, https: dict[str, Any], via: str = "direct") -> dict[str, Any]:
    return {"name": name, "role": role, "host": f"{name.lower()}.example", "via": via,
            "dns": {"ok": https.get("step") != "dns"}, "https": https}


def ok(date: str = "Mon, 23 Nov 2026 01:00:10 GMT") -> dict[str, Any]:
    return {"ok": True, "status": 200, "date": date, "seconds": 0.12, "local_time": NOW}


def answers(*targets: dict[str, Any], gateway: str | None = "https://gw.example") -> dict[str, Any]:
    return {ROUTE_PROBE: {"interface": "eth0", "address": "192.168.1.2"},
            GATEWAY_PROBE: gateway,
            CONNECTIVITY_PROBE: {"targets": list(targets), "pac_proxies": 0, "pac_error": None},
            **LINUX_PROXY}


def judge(replay: Callable[..., Context], data: dict[str, Any]) -> Any:
    return Connectivity().run(replay(data, Platform.LINUX))


def test_online_with_the_clock_right_passes(replay: Callable[..., Context]) -> None:
    result = judge(replay, answers(target("gateway", "gateway", ok()),
                                   target("Zoom", "video_app", ok())))
    assert result.status is Status.PASS
    assert result.evidence["clock_skew_s"] == -10.0
    assert result.evidence["proxy"] == "none"


def test_no_route_is_no_network(replay: Callable[..., Context]) -> None:
    data = answers()
    data[ROUTE_PROBE] = None
    result = judge(replay, data)
    assert result.status is Status.FAIL
    assert result.summary.msgid == "This computer is not connected to any network"


def test_dns_failing_everywhere_says_dns(replay: Callable[..., Context]) -> None:
    dns = {"ok": False, "step": "dns", "kind": "dns", "error": "gaierror: Name or service"}
    result = judge(replay, answers(target("gateway", "gateway", dns),
                                   target("Zoom", "video_app", dns)))
    assert result.status is Status.FAIL
    assert "DNS" in result.summary.msgid


def test_an_unreachable_gateway_names_it_and_says_to_tell_the_office(
        replay: Callable[..., Context]) -> None:
    down = {"ok": False, "step": "connect", "kind": "timeout", "error": "no answer within 6 s"}
    result = judge(replay, answers(target("gateway", "gateway", down),
                                   target("Zoom", "video_app", ok())))
    assert result.status is Status.FAIL
    assert result.summary.args["service"].msgid == "the booking gateway"
    assert any("Hello Work office" in step.msgid for step in result.fix)


def test_a_certificate_that_does_not_fit_the_date_blames_the_clock(
        replay: Callable[..., Context]) -> None:
    expired = {"ok": False, "step": "tls", "kind": "clock_or_expired",
               "error": "certificate is not yet valid"}
    result = judge(replay, answers(target("Zoom", "video_app", expired), gateway=None))
    assert result.status is Status.FAIL
    assert "clock" in result.fix[0].msgid


def test_an_intercepted_connection_fails(replay: Callable[..., Context]) -> None:
    mitm = {"ok": False, "step": "tls", "kind": "untrusted",
            "error": "self-signed certificate in certificate chain"}
    result = judge(replay, answers(target("Zoom", "video_app", mitm), gateway=None))
    assert result.status is Status.FAIL
    assert "intercepted" in result.summary.msgid


@pytest.mark.parametrize(("date", "status"), [
    ("Mon, 23 Nov 2026 00:55:00 GMT", Status.PASS),   # 5 minutes: at the limit
    ("Mon, 23 Nov 2026 00:50:00 GMT", Status.WARN),   # 10 minutes
    ("Sun, 22 Nov 2026 22:00:00 GMT", Status.FAIL),   # 3 hours: TLS trouble
])
def test_the_clock_against_the_servers_date(replay: Callable[..., Context], date: str,
                                            status: Status) -> None:
    result = judge(replay, answers(target("Zoom", "video_app", ok(date)), gateway=None))
    assert result.status is status


def test_no_server_time_cannot_pass(replay: Callable[..., Context]) -> None:
    no_date = {**ok(), "date": None}
    assert judge(replay, answers(target("Zoom", "video_app", no_date),
                                 gateway=None)).status is Status.WARN


def test_through_a_proxy_says_so(replay: Callable[..., Context]) -> None:
    data = answers(target("Zoom", "video_app", ok(), via="proxy"), gateway=None)
    data["env:proxy"] = {"https_proxy": True}
    result = judge(replay, data)
    assert result.status is Status.PASS
    assert result.evidence["proxy"] == "manual"
    assert result.evidence["via"] == ("proxy",)


def test_pac_files_name_their_proxies() -> None:
    script = ('function FindProxyForURL(url, host) {\n'
              '  if (shExpMatch(host, "*.local")) return "DIRECT";\n'
              '  return "PROXY proxy1.corp.example:8080; PROXY proxy2.corp.example:3128; DIRECT";\n'
              '  // PROXY proxy1.corp.example:8080 again\n}')
    assert web.pac_proxies(script) == ["proxy1.corp.example:8080", "proxy2.corp.example:3128"]


def test_clock_skew_from_a_date_header() -> None:
    assert Https(True, date="Mon, 23 Nov 2026 00:59:00 GMT", local_time=NOW).clock_skew_s() == 60.0
    assert Https(True, date="garbage", local_time=NOW).clock_skew_s() is None


# -- live: a real HTTPS server on this machine ---------------------------------------------------

def _certificates(folder: Path) -> tuple[Path, Path, Path]:
    """A test certificate authority and a certificate for "localhost" signed by it."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    now = dt.datetime.now(dt.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "precheck test CA")])
    ca = (x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name)
          .public_key(ca_key.public_key()).serial_number(x509.random_serial_number())
          .not_valid_before(now - dt.timedelta(hours=1)).not_valid_after(now + dt.timedelta(1))
          .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
          .sign(ca_key, hashes.SHA256()))
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")]))
            .issuer_name(ca_name).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(hours=1)).not_valid_after(now + dt.timedelta(1))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost")]),
                           critical=False)
            .sign(ca_key, hashes.SHA256()))
    ca_file, cert_file, key_file = folder / "ca.pem", folder / "cert.pem", folder / "key.pem"
    ca_file.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                           serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return ca_file, cert_file, key_file


class _Hello(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = b"hello"
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - the base name
        """Quiet."""


@contextlib.contextmanager
def https_server(cert: Path, key: Path) -> Iterator[int]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Hello)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    with serving(server) as port:
        yield port


def test_live_probe_reaches_a_trusted_https_server(tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    ca, cert, key = _certificates(tmp_path)
    monkeypatch.setenv("SSL_CERT_FILE", str(ca))
    monkeypatch.setenv("no_proxy", "localhost,127.0.0.1")
    with https_server(cert, key) as port:
        found = web.connectivity([{"name": "Local", "url": f"https://localhost:{port}/",
                                   "role": "video_app"}])
    result = found["targets"][0]
    assert result["dns"]["ok"]
    assert result["https"]["ok"], result
    assert result["https"]["status"] == 200
    https = Https(True, date=result["https"]["date"], local_time=result["https"]["local_time"])
    assert abs(https.clock_skew_s() or 99) < 5


def test_live_probe_sees_an_untrusted_certificate_as_interception(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _, cert, key = _certificates(tmp_path)  # signed by an authority nobody trusts
    monkeypatch.setenv("no_proxy", "localhost,127.0.0.1")
    with https_server(cert, key) as port:
        found = web.connectivity([{"name": "Local", "url": f"https://localhost:{port}/",
                                   "role": "video_app"}])
    https = found["targets"][0]["https"]
    assert https["ok"] is False
    assert https["kind"] == "untrusted"


def test_live_probe_names_an_unresolvable_host_as_dns() -> None:
    found = web.connectivity([{"name": "Nowhere", "url": "https://nowhere.invalid/",
                               "role": "video_app"}])
    assert found["targets"][0]["https"]["step"] == "dns"
