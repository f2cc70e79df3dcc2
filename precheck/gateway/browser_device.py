"""The browser check's device: OS, OS version, browser and device class, and the OS's support.

Read from User-Agent Client Hints where the browser gives them (Chromium: ``navigator.
userAgentData`` and the ``Sec-CH-UA-*`` headers), the User-Agent string otherwise. Only the parsed
figures are kept (terms, Article 7): never the User-Agent string itself.

What a browser cannot say is "could not tell", never a guess:

- Chrome's reduced User-Agent says ``Android 10; K`` on every Android version since Chrome 110:
  without Client Hints the Android version is unknown.
- Safari on iOS 26 and later no longer lists the OS version: the token stays ``iPhone OS 18_6``
  (``18_7`` from iOS 26.2; WebKit's "WebKit features in Safari 26.0", September 2025, and
  StatCounter's notice of January 2026). Its ``Version/`` token is the Safari version, which
  ships with the OS and carries its number. Other iOS browsers (``CriOS``, ``FxiOS``,
  ``EdgiOS``) show the same frozen token with no ``Version/``: from 18.6 on, the iOS version is
  unknown there; an older token is a real, older iOS.
- iPadOS Safari asks for desktop pages and says ``Macintosh``; the page tells it from a Mac by its
  touch screen (``navigator.maxTouchPoints``).
- Windows 10 and 11 both say ``Windows NT 10.0``; the ``platformVersion`` hint tells them apart
  (13 and above: Windows 11), but not which release: a computer is told to use the app.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from precheck.result import N_, Message, Result, Status, freeze
from precheck.runner import CheckMeta, Outcome

#: The gateway catalog: the browser check's own words.
DOMAIN = "gateway"
#: From this OS token on, iOS and iPadOS may be 26 or later behind a frozen token (18_6, 18_7).
FROZEN_IOS = (18, 6)

_IOS = re.compile(r"\b(?:iPhone|CPU) OS (\d+)_(\d+)")
_SAFARI_VERSION = re.compile(r"\bVersion/(\d+)(?:\.(\d+))?")
_ANDROID = re.compile(r"\bAndroid (\d+)(?:\.(\d+))?")
_BROWSERS = (  # (User-Agent token, name): the first that matches names the browser
    ("EdgiOS/", "Edge"), ("EdgA/", "Edge"), ("Edg/", "Edge"), ("CriOS/", "Chrome"),
    ("FxiOS/", "Firefox"), ("Firefox/", "Firefox"), ("SamsungBrowser/", "Samsung Internet"),
    ("OPR/", "Opera"), ("Chrome/", "Chrome"), ("Version/", "Safari"),
)
_NOT_BRANDS = re.compile(r"not.?a.?brand|chromium", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class Device:
    """What the browser told about the device (never the User-Agent string)."""

    os: str  # ios, ipados, android, windows, macos, linux; "" when unknown
    os_name: str  # "iOS", "Android", ...
    version: tuple[int, int] | None  # major, minor; None: could not tell
    browser: str  # "Safari 26.1", "Chrome 142"; "" when unknown
    device_class: str  # phone, tablet, pc
    #: how the version was read: "client_hints", "user_agent", or why it could not be
    source: str

    @property
    def version_text(self) -> str:
        return "" if self.version is None else f"{self.version[0]}.{self.version[1]}"


_NAMES = {"ios": "iOS", "ipados": "iPadOS", "android": "Android", "windows": "Windows",
          "macos": "macOS", "linux": "Linux"}


def read_device(user_agent: str, hints: Mapping[str, Any], touch_points: int) -> Device:
    """The device from the User-Agent string, the high-entropy Client Hints the page read
    (``platform``, ``platformVersion``, ``mobile``, ``fullVersionList``) and the touch points."""
    ua = user_agent[:1000]
    platform = str(hints.get("platform") or "").lower()
    mobile_hint = hints.get("mobile")
    browser = _browser(ua, hints)
    if "iphone" in ua.lower() or "ipod" in ua.lower():
        version, source = _apple_version(ua, browser)
        return Device("ios", "iOS", version, browser, "phone", source)
    if "ipad" in ua.lower() or ("macintosh" in ua.lower() and touch_points > 1):
        version, source = _apple_version(ua, browser)
        return Device("ipados", "iPadOS", version, browser, "tablet", source)
    if platform == "android" or "android" in ua.lower():
        mobile = bool(mobile_hint) if isinstance(mobile_hint, bool) else "Mobile" in ua
        version, source = _android_version(ua, hints)
        return Device("android", "Android", version, browser, "phone" if mobile else "tablet",
                      source)
    for os_id, token in (("windows", "windows"), ("macos", "mac"), ("linux", "linux"),
                         ("linux", "cros")):
        if platform.startswith(token) or token in ua.lower():
            version = _number(str(hints.get("platformVersion") or ""))
            return Device(os_id, _NAMES[os_id], version, browser, "pc",
                          "client_hints" if version else "desktop")
    return Device("", "", None, browser, "phone" if mobile_hint is True else "pc", "unknown")


def _apple_version(ua: str, browser: str) -> tuple[tuple[int, int] | None, str]:
    if browser.startswith("Safari"):
        found = _SAFARI_VERSION.search(ua)
        if found:
            return (int(found.group(1)), int(found.group(2) or 0)), "user_agent"
    token = _IOS.search(ua)
    if token:
        version = (int(token.group(1)), int(token.group(2)))
        if version < FROZEN_IOS:
            return version, "user_agent"
        return None, "frozen"
    return None, "unknown"


def _android_version(ua: str, hints: Mapping[str, Any]) -> tuple[tuple[int, int] | None, str]:
    version = _number(str(hints.get("platformVersion") or ""))
    if version is not None:
        return version, "client_hints"
    token = _ANDROID.search(ua)
    if token and not re.search(r"Android 10; K\b", ua):
        return (int(token.group(1)), int(token.group(2) or 0)), "user_agent"
    return None, "reduced"


def _number(text: str) -> tuple[int, int] | None:
    found = re.match(r"^(\d+)(?:\.(\d+))?", text.strip())
    if not found or int(found.group(1)) == 0:
        return None
    return int(found.group(1)), int(found.group(2) or 0)


def _browser(ua: str, hints: Mapping[str, Any]) -> str:
    brands = hints.get("fullVersionList")
    if isinstance(brands, Sequence):
        for brand in brands:
            if isinstance(brand, Mapping) and not _NOT_BRANDS.search(str(brand.get("brand"))):
                name = str(brand.get("brand"))[:40].replace("Google ", "").replace(
                    "Microsoft ", "")
                return f"{name} {str(brand.get('version', '')).split('.')[0]}".strip()
    for token, name in _BROWSERS:
        found = re.search(re.escape(token) + r"(\d+)(?:\.(\d+))?", ua)
        if found:
            if name == "Safari" and "Safari/" not in ua:
                continue
            minor = f".{found.group(2)}" if name == "Safari" and found.group(2) else ""
            return f"{name} {found.group(1)}{minor}"
    return ""


# -- the OS's support (Article 5(3)) --------------------------------------------------------------

TITLE = N_("Operating system support")
_USE_APP = N_("On a computer, the precheck app reads the exact release and its updates: use "
              "the app to book from a computer.")
_UPDATE_PHONE = N_("Open Settings > General > Software Update (iPhone, iPad) or Settings > "
                   "System > Software update (Android) and install every update.")


def support_outcome(device: Device, lines: Mapping[str, Any], os_meta: CheckMeta) -> Outcome:
    """The ``os.support`` entry of a browser report, judged by ``[os.mobile_lifecycle]``."""
    meta = CheckMeta(os_meta.id, os_meta.article, os_meta.required, Message.of(TITLE), DOMAIN)
    evidence = {"os": device.os or None, "version": device.version_text or None,
                "browser": device.browser or None, "device": device.device_class,
                "read_from": device.source}

    def result(status: Status, summary: Message, *fix: str) -> Outcome:
        return Outcome(meta, Result(meta.id, status, summary, freeze(evidence),
                                    tuple(Message.of(step) for step in fix)))

    if device.os in ("windows", "macos", "linux"):
        return result(Status.ERROR, Message.of(N_(
            "A browser cannot tell which {os} release this computer runs or whether its updates "
            "are installed"), os=device.os_name), _USE_APP)
    if device.os not in ("ios", "ipados", "android"):
        return result(Status.ERROR, Message.of(N_(
            "The browser did not say which operating system this device runs")),
            N_("Open this page in the phone's own browser (Safari on iPhone and iPad, Chrome "
               "on Android)."))
    table = lines.get(device.os) or []
    if device.version is None:
        fix = (N_("Open this page in Safari, which tells the iOS version.")
               if device.os in ("ios", "ipados") else
               N_("Open this page in Chrome, which tells the Android version."))
        return result(Status.ERROR, Message.of(N_(
            "The browser did not say which version of {os} this device runs"),
            os=device.os_name), fix, _UPDATE_PHONE)
    major = device.version[0]
    known = {int(line["major"]): str(line["support"]) for line in table}
    newest = max(known) if known else 0
    args = {"os": device.os_name, "version": device.version_text}
    if major > newest or known.get(major) == "current":
        return result(Status.PASS, Message.of(N_(
            "{os} {version}: supported by its maker. Keep installing its updates."), **args))
    if known.get(major) == "security":
        return result(Status.WARN, Message.of(N_(
            "{os} {version}: still gets security updates, but it is not the newest version "
            "({os} {newest})"), newest=newest, **args), _UPDATE_PHONE)
    return result(Status.FAIL, Message.of(N_(
        "{os} {version} no longer gets security updates from its maker"), **args),
        _UPDATE_PHONE,
        N_("If this device cannot update any further, use another smartphone or a computer."))
