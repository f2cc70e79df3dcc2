"""Network: online and not through free Wi-Fi (5(2)); the quality check is in
:mod:`precheck.checks.network_quality`."""

from __future__ import annotations

import re
import statistics
from collections.abc import Sequence

from precheck.api import Check, Context, Message, Need, Result
from precheck.probes import network
from precheck.probes.network import Declaration, Link, Medium, Security
from precheck.probes.network.facts import Target
from precheck.result import N_

#: Security names a job seeker reads.
SECURITY_NAMES = {
    Security.OPEN: N_("open (no password)"),
    Security.WEP: N_("WEP (broken encryption)"),
    Security.OWE: N_("Enhanced Open (anyone may join)"),
    Security.WPA_PERSONAL: N_("WPA Personal"),
    Security.WPA2_PERSONAL: N_("WPA2 Personal"),
    Security.WPA3_PERSONAL: N_("WPA3 Personal"),
    Security.ENTERPRISE: N_("WPA Enterprise (802.1X)"),
    Security.UNKNOWN: N_("unknown"),
}
UNSAFE = {Security.OPEN, Security.WEP, Security.OWE}

USE_OWN_NETWORK = N_("Use your own network instead: a home Wi-Fi protected by a password, a LAN "
                     "cable, or your own phone's tethering.")
GRANT_LOCATION = N_("Allow precheck to see the Wi-Fi network: on Windows 11, Settings > Privacy & "
                    "security > Location, turn on \"Location services\" and \"Let desktop apps "
                    "access your location\"; on macOS, System Settings > Privacy & Security > "
                    "Location Services, turn on the app you started precheck from (for example "
                    "Terminal). Then check again.")
DECLARE = N_("Or run precheck in its interactive mode and say which network you use.")
CHECK_CABLE = N_("Check that the LAN cable is plugged in or that Wi-Fi is on and connected, then "
                 "check again.")
RESTART_ROUTER = N_("Restart your router (unplug it for 10 seconds), wait two minutes, and check "
                    "again.")
SET_CLOCK = N_("Set the clock automatically: on Windows, Settings > Time & language > Date & "
               "time, turn on \"Set time automatically\" and click \"Sync now\"; on macOS, "
               "System Settings > General > Date & Time, turn on \"Set time and date "
               "automatically\".")
SECURITY_SOFTWARE = N_("If security software (antivirus) inspects secure connections, turn that "
                       "feature off or ask its vendor; on a company or school network, ask its "
                       "administrator.")
ANOTHER_NETWORK = N_("Try another network, for example your phone's tethering, to see whether "
                     "the problem is this network.")
CONTACT_OFFICE = N_("If it keeps happening, tell the Hello Work office: the test server may be "
                    "down.")


def _matches_free(ssid: str, names: Sequence[str], patterns: Sequence[str]) -> bool:
    folded = ssid.casefold()
    return (any(folded == name.casefold() for name in names)
            or any(re.search(pattern, ssid) for pattern in patterns))


class Connectivity(Check):
    """The computer is online (Article 5(2)): names resolve (DNS), the booking gateway and the
    video app's service answer over HTTPS (through the system's proxy or PAC file, when one is
    set), and the clock is right to within what TLS certificates need.

    Each failure names the step that failed (no network at all, DNS, an unreachable service, a
    secure connection that is intercepted or refused, the proxy, the clock) and what to try.
    Fix: connect to the network, restart the router, set the clock automatically, or turn off
    software that intercepts secure connections.
    """

    id = "network.connectivity"
    needs = frozenset({Need.NETWORK})
    article = "5(2)"
    required = True
    title = N_("Internet connection")
    timeout_s = 20.0

    def run(self, ctx: Context) -> Result:
        limits = ctx.policy.section("network.connectivity")
        if network.route(ctx.system) is None:
            return self.fail(N_("This computer is not connected to any network"),
                             evidence={"route": False}, fix=[CHECK_CABLE, RESTART_ROUTER])
        targets = [{"name": str(s["name"]), "url": str(s["url"]), "role": "video_app"}
                   for s in limits["services"]]
        gateway = network.gateway_url(ctx.system)
        if gateway is not None:
            targets.insert(0, {"name": "gateway", "url": gateway + "/measure/speedtest/latency.txt",
                               "role": "gateway"})
        found = network.connectivity(ctx.system, targets)
        answered = found.targets
        proxy_kind = found.proxy.kind
        evidence: dict[str, object] = {
            "proxy": proxy_kind,
            "targets": [f"{t.role}:{t.name}:{_outcome(t)}" for t in answered],
            "via": sorted({t.via for t in answered}),
        }
        failed = [t for t in answered if not t.https.ok]
        if failed:
            return self._failure(failed, answered, evidence, proxy_kind)
        skews = [s for s in (t.https.clock_skew_s() for t in answered if t.https.ok)
                 if s is not None]
        skew = statistics.median(skews) if skews else None
        evidence["clock_skew_s"] = None if skew is None else round(skew, 1)
        names = tuple(_target_name(t) for t in answered)
        if skew is not None and abs(skew) > limits["clock_fail_s"]:
            return self.fail(
                N_("The computer's clock is off by {minutes} minutes: secure connections may "
                   "fail"), evidence=evidence, minutes=round(abs(skew) / 60), fix=[SET_CLOCK])
        if skew is not None and abs(skew) > limits["clock_warn_s"]:
            return self.warn(N_("The computer's clock is off by {seconds} seconds"),
                             evidence=evidence, seconds=round(abs(skew)), fix=[SET_CLOCK])
        if skew is None:
            return self.warn(
                N_("Online ({services} answered), but the clock could not be compared: no "
                   "server sent its time"), evidence=evidence, services=names, fix=[SET_CLOCK])
        if proxy_kind != "none":
            return self.passed(
                N_("Online through the proxy: {services} answered over a secure connection; "
                   "the clock is right"), evidence=evidence, services=names)
        return self.passed(
            N_("Online: {services} answered over a secure connection; the clock is right"),
            evidence=evidence, services=names)

    def _failure(self, failed: Sequence[Target], answered: Sequence[Target],
                 evidence: dict[str, object], proxy_kind: str) -> Result:
        if all(t.https.step == "dns" for t in answered):
            return self.fail(
                N_("Names on the internet cannot be looked up (DNS does not answer)"),
                evidence=evidence, fix=[RESTART_ROUTER, CHECK_CABLE, ANOTHER_NETWORK])
        first = failed[0]
        https = first.https
        name = _target_name(first)
        kind = "" if https.kind is None else https.kind
        if kind == "clock_or_expired":
            return self.fail(
                N_("The secure connection to {service} was refused: its certificate does not fit "
                   "this computer's date; the clock is probably wrong"),
                evidence=evidence, service=name, fix=[SET_CLOCK])
        if kind in ("untrusted", "hostname_mismatch"):
            return self.fail(
                N_("The secure connection to {service} is intercepted: the certificate is not "
                   "the service's own"),
                evidence=evidence, service=name, fix=[SECURITY_SOFTWARE, ANOTHER_NETWORK])
        if kind == "proxy":
            return self.fail(N_("The proxy server did not let the connection to {service} "
                                "through"), evidence=evidence, service=name,
                             fix=[N_("Check the proxy settings, or ask the network's "
                                     "administrator to allow this address."), ANOTHER_NETWORK])
        if https.step == "dns":
            return self.fail(N_("The name of {service} cannot be looked up (DNS)"),
                             evidence=evidence, service=name,
                             fix=[RESTART_ROUTER, ANOTHER_NETWORK])
        fix = [N_("Check that no firewall or security software blocks precheck, then check "
                  "again."), ANOTHER_NETWORK]
        if first.role == "gateway":
            fix.append(CONTACT_OFFICE)
        if proxy_kind != "none":
            fix.insert(0, N_("Check the proxy settings."))
        return self.fail(N_("{service} could not be reached over a secure connection ({step})"),
                         evidence=evidence, service=name, step=kind,
                         fix=fix)


def _outcome(target: Target) -> str:
    https = target.https
    return "ok" if https.ok else f"{https.step}/{https.kind}"


def _target_name(target: Target) -> object:
    if target.role == "gateway":
        return Message.of(N_("the booking gateway"))
    return target.name


class Wifi(Check):
    """The connection is not free public Wi-Fi or an unprotected network (Article 5(2): no free
    Wi-Fi, no line whose confidentiality and route are unknown).

    Says what carries the connection (wired, Wi-Fi, mobile), and for Wi-Fi its protection: open,
    WEP and Enhanced Open fail; a network on the policy's list of free public Wi-Fi (carriers,
    shops, stations, cities, the disaster network 00000JAPAN) fails even when encrypted; a captive
    portal (a public network's login page) fails; WPA2/WPA3 Personal or Enterprise passes. The
    network's name is only compared with the list, never reported. When Windows 11 or macOS hide
    the network from programs without location permission, the result says how to grant it, or
    records the user's declaration (marked as declared, not measured). Fix: use your own
    password-protected Wi-Fi, a cable or your own phone's tethering.
    """

    id = "network.wifi"
    needs = frozenset({Need.NETWORK})
    article = "5(2)"
    required = True
    title = N_("No free Wi-Fi")
    timeout_s = 30.0

    def run(self, ctx: Context) -> Result:
        knobs = ctx.policy.section("network.wifi")
        link = network.link(ctx.system)
        evidence: dict[str, object] = {"medium": link.medium.value, "source": link.source}
        if link.medium is Medium.NONE:
            return self.fail(N_("This computer is not connected to any network"),
                             evidence=evidence, fix=[CHECK_CABLE])
        portal = list(network.captive_portal(ctx.system, list(knobs["captive_probes"])))
        evidence["captive_portal"] = any(p.outcome == "portal" for p in portal)
        evidence["captive_probes"] = [p.outcome for p in portal]
        if evidence["captive_portal"]:
            return self.fail(
                N_("This network shows a login page before the internet (a captive portal): it "
                   "is a public network"), evidence=evidence, fix=[USE_OWN_NETWORK])
        wifi = link.wifi
        if link.medium is Medium.WIFI and (wifi is None or not wifi.connected):
            evidence["unread"] = ["wifi_state"]
            return self.error(
                N_("The connection runs over Wi-Fi, but precheck could not read which Wi-Fi "
                   "network it is"), evidence=evidence, fix=[
                    N_("Check again in a minute; if the same message comes back, save the "
                       "diagnostic file and send it to the Hello Work staff."), DECLARE])
        if link.medium is not Medium.WIFI or wifi is None or not wifi.connected:
            return self._not_wifi(link, evidence)
        evidence["tethered_hint"] = link.tethered_hint
        evidence["security"] = None if wifi.security is None else wifi.security.value
        evidence["hidden_by_os"] = wifi.hidden
        if wifi.security in UNSAFE:
            return self.fail(N_("The Wi-Fi network is not protected: {security}"),
                             evidence=evidence, security=Message.of(SECURITY_NAMES[wifi.security]),
                             fix=[USE_OWN_NETWORK])
        if wifi.hidden or wifi.ssid is None:
            return self._hidden(ctx, evidence)
        if wifi.security is None or wifi.security is Security.UNKNOWN:
            return self.error(N_("Could not read how the Wi-Fi network is protected"),
                              evidence=evidence, fix=[
                                  N_("Check the Wi-Fi settings: the network should show "
                                     "\"WPA2\" or \"WPA3\". Then check again."), DECLARE])
        free = _matches_free(wifi.ssid, knobs["free_ssids"], knobs["free_ssid_patterns"])
        evidence["known_free_wifi"] = free
        if free:
            return self.fail(N_("This is a known free public Wi-Fi network"), evidence=evidence,
                             fix=[USE_OWN_NETWORK])
        return self.passed(N_("Wi-Fi protected by {security}, not a known free network"),
                           evidence=evidence,
                           security=Message.of(SECURITY_NAMES[wifi.security]))

    def _not_wifi(self, link: Link, evidence: dict[str, object]) -> Result:
        if link.medium is Medium.WIRED:
            return self.passed(N_("Connected by cable (wired)"), evidence=evidence)
        if link.medium is Medium.MOBILE:
            return self.passed(N_("Connected through a mobile network (a phone or mobile "
                                  "router)"), evidence=evidence)
        return self.passed(N_("Not connected through Wi-Fi (a VPN or another adapter carries "
                              "the connection)"), evidence=evidence)

    def _hidden(self, ctx: Context, evidence: dict[str, object]) -> Result:
        said = network.declaration(ctx.system)
        evidence["declared"] = None if said is None else said.value
        if said in (Declaration.OWN_SECURED, Declaration.MOBILE):
            return self.warn(
                N_("You declared this Wi-Fi to be your own protected network; the computer did "
                   "not let precheck check it"), evidence=evidence, fix=[GRANT_LOCATION])
        if said is Declaration.PUBLIC:
            return self.fail(N_("You declared this Wi-Fi to be a public network"),
                             evidence=evidence, fix=[USE_OWN_NETWORK])
        return self.error(
            N_("The computer hides the Wi-Fi network from precheck (location permission is off), "
               "so it cannot be checked"), evidence=evidence, fix=[GRANT_LOCATION, DECLARE])
