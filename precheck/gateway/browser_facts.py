"""The browser check's figures as facts, judged by the app's own checks into a signed report.

The page posts what it measured in the browser (camera frame statistics, microphone levels, the
listener's answer, Client Hints, the network type, the declarations); the gateway measured the
connection itself (browser_measure.py). Camera, microphone, speaker and connection are judged by
the very checks the app runs (``device.camera``, ``device.microphone``, ``device.speaker``,
``network.quality``: the same statuses, messages and fixes), fed through a :class:`System` whose
facts are these figures. The OS is judged against ``[os.mobile_lifecycle]``
(browser_device.py). The report has ``source.kind = "browser"`` and is signed with the gateway's
own key (DESIGN.md section 4): the gateway observed or received every figure.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any, Literal, TypeVar, cast

from pydantic import BaseModel, ConfigDict, Field

from precheck import declarations
from precheck.api import Context
from precheck.errors import ProbeError
from precheck.gateway import browser_device
from precheck.result import N_, Message, Result, Status, freeze
from precheck.runner import CheckMeta, Outcome
from precheck.system import JSON, Platform, System

if TYPE_CHECKING:
    from precheck.policy import Policy
    from precheck.probes.devices import Camera, Microphone, Speaker
    from precheck.reports.signing import Identity

#: Check ids the browser check measures, in the order the report lists them.
MEASURED = ("os.support", "device.camera", "device.microphone", "device.speaker",
            "network.quality")

T = TypeVar("T")
_STRICT = ConfigDict(extra="forbid", frozen=True)


class CameraFigures(BaseModel):
    """What the page measured of the camera: numbers per frame, never a picture."""

    model_config = _STRICT
    state: Literal["ok", "denied", "not_found", "busy", "not_opened"]
    width: Annotated[int, Field(ge=0, le=10000)] = 0
    height: Annotated[int, Field(ge=0, le=10000)] = 0
    fps: Annotated[float, Field(ge=0, le=1000)] = 0.0
    #: [brightness, contrast, similarity to the previous frame, motion], as the app records
    frames: Annotated[list[tuple[float, float, float | None, float | None]],
                      Field(max_length=300)] = []


class LevelFigures(BaseModel):
    model_config = _STRICT
    seconds: Annotated[float, Field(ge=0, le=60)]
    rms_dbfs: Annotated[float, Field(ge=-200, le=10)]
    peak_dbfs: Annotated[float, Field(ge=-200, le=10)]
    noise_floor_dbfs: Annotated[float, Field(ge=-200, le=10)]
    loudest_window_dbfs: Annotated[float, Field(ge=-200, le=10)]
    longest_clip_run: Annotated[int, Field(ge=0)]
    clipped_samples: Annotated[int, Field(ge=0)]


class MicrophoneFigures(BaseModel):
    model_config = _STRICT
    state: Literal["ok", "denied", "not_found", "busy", "not_opened"]
    samplerate: Annotated[int, Field(ge=0, le=768000)] = 0
    levels: LevelFigures | None = None


class SpeakerFigures(BaseModel):
    model_config = _STRICT
    played: bool
    heard: bool | None


class DeviceFigures(BaseModel):
    """Client Hints as ``navigator.userAgentData`` gives them, and the touch points."""

    model_config = ConfigDict(extra="ignore", frozen=True)
    platform: Annotated[str, Field(max_length=40)] = ""
    platformVersion: Annotated[str, Field(max_length=40)] = ""  # noqa: N815 - the API's name
    mobile: bool | None = None
    fullVersionList: Annotated[list[dict[str, str]], Field(max_length=10)] = []  # noqa: N815
    touch_points: Annotated[int, Field(ge=0, le=100)] = 0


class Finished(BaseModel):
    """Everything the page posts at the end of the check."""

    model_config = _STRICT
    camera: CameraFigures
    microphone: MicrophoneFigures
    speaker: SpeakerFigures
    device: DeviceFigures
    network_type: Annotated[str, Field(max_length=20)] | None = None
    declarations: dict[Annotated[str, Field(max_length=60)], bool] = {}


class _Answers:
    """A System backend answering the probes the app's checks read from the figures."""

    def __init__(self, answers: Mapping[str, JSON]) -> None:
        self.answers = answers

    @property
    def platform(self) -> Platform:
        return Platform.LINUX  # unused by the checks judged here

    def answer(self, name: str, produce: Callable[[], JSON]) -> JSON:
        if name not in self.answers:
            raise ProbeError(name, "not_in_browser_check", "the browser check does not read this")
        return self.answers[name]


class BrowserSystem(System):
    """The facts of a browser check (the app's fact types, from the page's figures)."""

    def __init__(self, figures: Finished, connection: Mapping[str, Any] | None) -> None:
        from precheck.probes import network

        quality: JSON = dict(connection) if connection else {
            "target": "gateway", "error": {"kind": "connection_lost", "step": "latency",
                                           "detail": "the connection test did not finish"}}
        super().__init__(_Answers({network.GATEWAY_PROBE: None,
                                   network.QUALITY_PROBE: quality}))
        self.figures = figures

    def fact(self, name: str, produce: Callable[[], T]) -> T:
        """The device facts come from the page's figures, not from probes of this server."""
        answer = {"camera": self._camera, "microphone": self._microphone,
                  "speaker": self._speaker}.get(name)
        return produce() if answer is None else cast("T", answer())

    def _camera(self) -> Camera:
        from precheck.probes.devices import Camera, CameraState
        from precheck.probes.devices.analysis import FrameStat

        cam = self.figures.camera
        state = {"ok": CameraState.OK, "not_found": CameraState.NOT_FOUND,
                 "denied": CameraState.DENIED, "busy": CameraState.BUSY}.get(
                     cam.state, CameraState.NOT_OPENED)
        frames = tuple(FrameStat.from_json(list(f)) for f in cam.frames)
        if state is CameraState.OK and not frames:
            state = CameraState.BUSY  # it opened and sent no picture
        return Camera(state, "browser", cam.width, cam.height, cam.fps, 0, frames,
                      0 if state is CameraState.NOT_FOUND else None)

    def _microphone(self) -> Microphone:
        from precheck.probes.devices import Microphone
        from precheck.probes.devices.analysis import AudioLevels

        mic = self.figures.microphone
        if mic.state != "ok" or mic.levels is None:
            return Microphone(present=False)
        return Microphone(True, AudioLevels(**mic.levels.model_dump()), "browser",
                          mic.samplerate or None)

    def _speaker(self) -> Speaker:
        from precheck.probes.devices import Speaker

        played = self.figures.speaker.played
        return Speaker(True, played, self.figures.speaker.heard if played else None)


# -- permission refused: the phone's own steps ----------------------------------------------------

ALLOW_IOS = N_("iPhone and iPad (Safari): tap \u201caA\u201d in the address bar > Website "
               "Settings, set {device} to Allow and reload this page. If it stays blocked: "
               "Settings > Apps > Safari > {device}: Ask or Allow.")
ALLOW_ANDROID = N_("Android (Chrome): tap the icon left of the address > Permissions, allow "
                   "{device} and reload this page. If Chrome itself may not use it: Settings > "
                   "Apps > Chrome > Permissions > {device}: Allow.")
CAMERA = N_("Camera")
MICROPHONE = N_("Microphone")


def _refused(meta: CheckMeta, device: str, title: str) -> Outcome:
    meta = CheckMeta(meta.id, meta.article, meta.required, Message.of(title),
                     browser_device.DOMAIN)
    what = Message.of(title)
    fix = (Message.of(ALLOW_IOS, device=what), Message.of(ALLOW_ANDROID, device=what))
    summary = Message.of(N_("This page was not allowed to use the {device}"), device=what)
    return Outcome(meta, Result(meta.id, Status.FAIL, summary,
                                freeze({"consent": False, "device": device}), fix))


# -- the network type (Article 5(2)) --------------------------------------------------------------

NETWORK_TYPE = "network.type"


def network_type_outcome(kind: str | None) -> Outcome:
    """Advisory: what the browser says of the connection (Network Information API)."""
    meta = CheckMeta(NETWORK_TYPE, "5(2)", False, Message.of(N_("Connection type")),
                     browser_device.DOMAIN)
    evidence = freeze({"type": kind, "measured": kind is not None})
    if kind in ("cellular", "ethernet"):
        summary = Message.of(N_("Mobile data or a cable, as the browser says: not a public "
                                "Wi-Fi") if kind == "cellular" else
                             N_("A cable connection, as the browser says: not a public Wi-Fi"))
        return Outcome(meta, Result(NETWORK_TYPE, Status.PASS, summary, evidence))
    summary = Message.of(N_("The browser cannot see which network this is: your declaration "
                            "about free Wi-Fi decides") if kind else
                         N_("The browser does not say how it is connected: your declaration "
                            "about free Wi-Fi decides"))
    return Outcome(meta, Result(NETWORK_TYPE, Status.SKIP, summary, evidence))


def wants_wifi_declaration(kind: str | None) -> bool:
    return kind not in ("cellular", "ethernet")


# -- the whole report -----------------------------------------------------------------------------

def outcomes(figures: Finished, connection: Mapping[str, Any] | None, device:
             browser_device.Device, policy: Policy) -> list[Outcome]:
    """Every entry of the browser report, measured first, then the declarations."""
    from precheck import plugins

    catalog = {check.id: check for check in plugins.load().checks}
    system = BrowserSystem(figures, connection)
    context = Context(system, policy)
    found: list[Outcome] = [browser_device.support_outcome(
        device, policy.section("os.mobile_lifecycle"), CheckMeta.of(catalog["os.support"]))]
    for check_id in MEASURED[1:]:
        check = catalog[check_id]
        meta = CheckMeta.of(check)
        if check_id == "device.camera" and figures.camera.state == "denied":
            found.append(_refused(meta, "camera", CAMERA))
            continue
        if check_id == "device.microphone" and figures.microphone.state == "denied":
            found.append(_refused(meta, "microphone", MICROPHONE))
            continue
        try:
            result = check().run(context)
        except ProbeError as exc:
            result = Result(check_id, Status.ERROR, Message.of(N_(
                "The browser check could not measure this ({reason})"), reason=exc.kind))
        found.append(Outcome(meta, replace(result, check_id=check_id)))
    found.append(network_type_outcome(figures.network_type))
    asked = list(declarations.for_device(device.device_class))
    if not wants_wifi_declaration(figures.network_type):
        asked.remove(declarations.NO_PUBLIC_WIFI)
    found += [declarations.outcome(d, bool(figures.declarations.get(d.id))) for d in asked]
    return found


def device_id(salt: bytes, browser_id: str) -> str:
    """``d1-`` and 128 bits of HMAC-SHA256 over the browser's own random id (its cookie)."""
    return "d1-" + hmac.new(salt, b"browser\0" + browser_id.encode(), hashlib.sha256
                            ).hexdigest()[:32]


def build(found: Sequence[Outcome], device: browser_device.Device, *, policy: Policy,
          signer: Identity, salt: bytes, browser_id: str, created: datetime, challenge: str
          ) -> dict[str, Any]:
    """The signed browser report (format version 1, ``source.kind = "browser"``)."""
    from precheck.probes import OsInfo
    from precheck.reports.build import build_report
    from precheck.reports.signing import sign

    document = build_report(found, policy=policy, os_info=OsInfo(Platform.LINUX, "browser", "",
                                                                  ""),
                            device_id=device_id(salt, browser_id), created=created,
                            source_kind="browser", challenge=challenge)
    document["platform"] = {
        "os": device.os or "linux", "id": device.os or "unknown",
        "name": device.os_name or "unknown", "version": device.version_text,
        "build": None, "edition": device.browser or None, "arch": None,
        "device": device.device_class,
    }
    return sign(document, signer)
