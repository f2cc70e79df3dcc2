"""Windows: DirectShow cameras; the privacy switches live in the CapabilityAccessManager store."""

from __future__ import annotations

from typing import TYPE_CHECKING

from precheck.system import JSON

if TYPE_CHECKING:
    from precheck.system import System

#: DirectShow opens in well under a second; Media Foundation (OpenCV's default) can take several
#: seconds to open and fails with 0xC00D3704 when another app holds the camera.
CAMERA_API = "DSHOW"
CONSENT_KEY = (r"SOFTWARE\Microsoft\Windows\CurrentVersion\CapabilityAccessManager"
               r"\ConsentStore\{capability}")


def parse_consent(values: dict[str, JSON] | None) -> bool | None:
    """The store's ``Value`` is "Allow" or "Deny"; absent means Windows never set it."""
    if not values:
        return None
    value = str(values.get("Value", "")).strip().lower()
    return {"allow": True, "deny": False}.get(value)


def consent(system: System, capability: str) -> bool | None:
    """False when the user's or the machine's switch denies ``webcam`` / ``microphone``.

    HKLM is "Camera access for this device"; HKCU is "Let apps access your camera". The
    desktop-app toggle (NonPackaged subkey) is the one that governs precheck.
    """
    key = CONSENT_KEY.format(capability=capability)
    answers = [parse_consent(system.registry_values(root, key)) for root in ("HKLM", "HKCU")]
    answers.append(parse_consent(system.registry_values("HKCU", key + r"\NonPackaged")))
    if False in answers:
        return False
    return True if True in answers else None


def camera_count(system: System) -> int | None:
    """Unknown before opening (listing needs DirectShow COM calls OpenCV does not expose)."""
    return None
