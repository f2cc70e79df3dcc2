"""Devices: the camera, the microphone and the speaker work for a video consultation."""

from __future__ import annotations

from precheck.api import Check, Context, Need, Result
from precheck.probes import devices
from precheck.result import N_

SOUND_SETTINGS = N_("Open the sound settings (Windows: Settings > System > Sound; macOS: System "
                    "Settings > Sound) and choose your headset or microphone as the input.")
MIC_PRIVACY = N_("Allow microphone access: on Windows, Settings > Privacy & security > "
                 "Microphone, turn on \"Microphone access\" and \"Let desktop apps access your "
                 "microphone\"; on macOS, System Settings > Privacy & Security > Microphone, turn "
                 "on the app you started precheck from (for example Terminal), then restart it.")
CAMERA_PRIVACY = N_("Allow camera access: on Windows, Settings > Privacy & security > Camera, "
                    "turn on \"Camera access\" and \"Let desktop apps access your camera\"; on "
                    "macOS, System Settings > Privacy & Security > Camera, turn on the app you "
                    "started precheck from (for example Terminal), then restart it.")
CLOSE_OTHER_APPS = N_("Close every other program that may use the camera (Zoom, Teams, Skype, "
                      "LINE, the Camera app, browser tabs with video), then check again.")
OUTPUT_SETTINGS = N_("Open the sound settings (Windows: Settings > System > Sound; macOS: System "
                     "Settings > Sound) and choose your speakers or headphones as the output.")


class Microphone(Check):
    """A default microphone exists and records sound at a usable level (Article 2(2)).

    Records a few seconds from the default input (sounddevice/PortAudio) and measures the level
    in dBFS: no input device, digital silence (muted, or blocked by the OS privacy setting),
    very low level and clipping each get their own remedy. Only levels are kept: no sound, and no
    device name. Fix: connect and select a microphone, unmute it, allow microphone access in the
    privacy settings, or lower the input volume when it clips.
    """

    id = "device.microphone"
    needs = frozenset({Need.MICROPHONE})
    article = "2(2)"
    required = True
    title = N_("Microphone")
    timeout_s = 20.0

    def run(self, ctx: Context) -> Result:
        mic = devices.microphone(ctx.system)
        limits = ctx.policy.section("device.microphone")
        if not mic.present or mic.levels is None:
            return self.fail(N_("No microphone found"), evidence={"input": False}, fix=[
                N_("Connect a headset or a microphone (many laptops have one built in)."),
                SOUND_SETTINGS])
        levels = mic.levels
        evidence = {"hostapi": mic.hostapi, "samplerate": mic.samplerate, **levels.to_json()}
        level, peak = round(levels.rms_dbfs, 1), round(levels.peak_dbfs, 1)
        if levels.rms_dbfs <= limits["silent_max_dbfs"]:
            if mic.consent is False:
                return self.fail(N_("Microphone access is turned off in the privacy settings"),
                                 evidence=evidence, fix=[MIC_PRIVACY])
            return self.fail(
                N_("The microphone records only silence ({level} dBFS): it is muted or blocked"),
                evidence=evidence, level=level, fix=[
                    N_("Unmute the microphone: check the mute key on the keyboard and the switch "
                       "on the headset cable."),
                    MIC_PRIVACY, SOUND_SETTINGS])
        if levels.longest_clip_run > limits["max_clip_run"]:
            return self.warn(
                N_("The microphone is too loud and distorts (clipping, peak {peak} dBFS)"),
                evidence=evidence, peak=peak, fix=[
                    N_("Lower the microphone's input volume in the sound settings, or move the "
                       "microphone a little away from your mouth.")])
        if levels.loudest_window_dbfs < limits["low_dbfs"]:
            return self.warn(
                N_("The microphone is very quiet (loudest {loudest} dBFS, below {minimum} dBFS)"),
                evidence=evidence, loudest=round(levels.loudest_window_dbfs, 1),
                minimum=limits["low_dbfs"], fix=[
                    N_("Speak during the test; if it stays quiet, raise the microphone's input "
                       "volume in the sound settings."), SOUND_SETTINGS])
        return self.passed(N_("The microphone records (level {level} dBFS, peak {peak} dBFS)"),
                           evidence=evidence, level=level, peak=peak)


class Camera(Check):
    """The web camera opens and delivers a usable picture (Article 2(2): a device with a camera).

    Opens the default camera with OpenCV (DirectShow on Windows, AVFoundation on macOS, V4L2 on
    Linux), measures about 30 frames and keeps only numbers per frame (brightness, contrast,
    similarity to the previous frame): never a picture. No camera, access denied by the privacy
    settings, busy in another app, black or covered, frozen, below the minimum resolution or
    frame rate, and far too dark each get their own remedy. Fix: connect the camera, allow camera
    access, close the other app, uncover the lens, or turn on a light.
    """

    id = "device.camera"
    needs = frozenset({Need.CAMERA})
    article = "2(2)"
    required = True
    title = N_("Camera")
    timeout_s = 20.0

    def run(self, ctx: Context) -> Result:
        from precheck.probes.devices import CameraState
        from precheck.probes.devices.analysis import summarize

        cam = devices.camera(ctx.system)
        limits = ctx.policy.section("device.camera")
        if cam.state is CameraState.NOT_FOUND:
            return self.fail(N_("No camera found"), evidence={"cameras": 0}, fix=[
                N_("Connect a web camera (or use a laptop with a built-in camera) and check "
                   "again."),
                N_("If the laptop has a camera switch or a privacy shutter key, turn the camera "
                   "on.")])
        if cam.state is CameraState.DENIED:
            return self.fail(N_("Camera access is turned off in the privacy settings"),
                             evidence={"consent": False}, fix=[CAMERA_PRIVACY])
        if cam.state is CameraState.NOT_OPENED:
            return self.fail(
                N_("The camera could not be opened: none is connected, access is not allowed, "
                   "or another program is using it"),
                evidence={"cameras": cam.devices, "opened": False},
                fix=[N_("Connect a web camera and check again."), CAMERA_PRIVACY,
                     CLOSE_OTHER_APPS])
        if cam.state is CameraState.BUSY:
            return self.fail(
                N_("The camera opened but sent no picture: another program is probably using it"),
                evidence={"api": cam.api, "read_failures": cam.read_failures},
                fix=[CLOSE_OTHER_APPS, CAMERA_PRIVACY])
        found = summarize(cam.frames, black_luma=limits["black_luma"],
                          frozen_ssim=limits["frozen_ssim"])
        evidence = {
            "api": cam.api, "width": cam.width, "height": cam.height, "fps": round(cam.fps, 1),
            "frames": found.frames, "brightness": round(found.brightness, 1),
            "contrast": round(found.contrast, 1), "motion": round(found.motion, 2),
            "black_fraction": round(found.black_fraction, 2),
            "frozen_fraction": round(found.frozen_fraction, 2),
        }
        bad = limits["max_bad_fraction"]
        if found.black_fraction > bad or found.contrast < limits["min_contrast"]:
            return self.fail(
                N_("The camera picture is black or covered (brightness {brightness} of 255)"),
                evidence=evidence, brightness=round(found.brightness), fix=[
                    N_("Open the lens cover or privacy shutter, and remove any sticker or tape "
                       "from the camera."),
                    N_("If a camera switch or key (often F8 or F10 with a camera icon) turns the "
                       "camera off, turn it on."), CLOSE_OTHER_APPS])
        if found.frozen_fraction > bad:
            return self.fail(
                N_("The camera picture is frozen: the same image repeats"), evidence=evidence,
                fix=[N_("Unplug the camera and plug it in again (or restart the computer), then "
                        "check again."),
                     N_("If a virtual camera (OBS, Snap Camera) is the default, choose the real "
                        "camera in the video app, or start the virtual camera's source."),
                     CLOSE_OTHER_APPS])
        if cam.width < limits["min_width"] or cam.height < limits["min_height"]:
            return self.fail(
                N_("The camera's picture is too small: {width}x{height}, at least "
                   "{min_width}x{min_height} needed"),
                evidence=evidence, width=cam.width, height=cam.height,
                min_width=limits["min_width"], min_height=limits["min_height"],
                fix=[N_("Use a better web camera (most built-in and USB cameras made since 2012 "
                        "deliver 1280x720).")])
        if cam.fps < limits["min_fps"]:
            return self.fail(
                N_("The camera is too slow: {fps} frames a second, at least {minimum} needed"),
                evidence=evidence, fps=round(cam.fps, 1), minimum=limits["min_fps"],
                fix=[N_("Turn on a light (cameras slow down in the dark), close other programs, "
                        "and plug a USB camera straight into the computer, not into a hub.")])
        if found.brightness < limits["min_brightness"]:
            return self.warn(
                N_("The camera picture is very dark (brightness {brightness} of 255)"),
                evidence=evidence, brightness=round(found.brightness), fix=[
                    N_("Turn on a light in front of you (not behind you), or sit facing a "
                       "window.")])
        return self.passed(N_("The camera works: {width}x{height} at {fps} frames a second"),
                           evidence=evidence, width=cam.width, height=cam.height,
                           fps=round(cam.fps, 1))


class Speaker(Check):
    """A default speaker or headphones exist and play a test tone that a person heard (2(2)).

    Plays a short tone on the default output (sounddevice/PortAudio). Whether it was heard needs
    a person: the TUI plays the tone, asks, and gives the answer (devices.confirm_speaker)
    before the checks run. Without an answer (a headless run) the check warns "not confirmed by
    a listener": it never passes what it cannot know. Fix: connect speakers or headphones,
    choose them as the output and raise the volume.
    """

    id = "device.speaker"
    needs = frozenset({Need.SPEAKER, Need.LISTENER})
    article = "2(2)"
    required = True
    title = N_("Speaker or headphones")
    timeout_s = 20.0

    def run(self, ctx: Context) -> Result:
        found = devices.speaker(ctx.system)
        evidence = {"output": found.present, "played": found.played, "heard": found.heard}
        if not found.present:
            return self.fail(N_("No speaker or headphones found"), evidence=evidence, fix=[
                N_("Connect headphones or speakers (many laptops have speakers built in)."),
                OUTPUT_SETTINGS])
        if not found.played:
            return self.error(N_("The test tone could not be played"), evidence=evidence,
                              fix=[OUTPUT_SETTINGS])
        if found.heard is None:
            return self.warn(
                N_("A test tone was played, but it was not confirmed by a listener"),
                evidence=evidence, fix=[
                    N_("Run precheck in its interactive mode and answer whether you heard the "
                       "tone.")])
        if not found.heard:
            return self.fail(N_("The test tone was played, but you did not hear it"),
                             evidence=evidence, fix=[
                N_("Turn up the volume and check that the sound is not muted (the speaker "
                   "icon in the taskbar or menu bar)."), OUTPUT_SETTINGS])
        return self.passed(N_("The test tone was heard"), evidence=evidence)
