"""The booking gateway's JSON answers (``/api/v1``), written once for both ends.

The gateway (``precheck/gateway/api.py``) declares these as its response models, so its OpenAPI
document shows them; the app's client (``precheck/gateway_client.py``) reads every answer with
them. Only pydantic is imported here: the job seeker's install has no FastAPI.

The models are strict: a number sent as a string, a list where an object belongs or a time without
a zone is a wrong answer (the client makes it a ``bad_response``), never a guess.
"""

from __future__ import annotations

from pydantic import AwareDatetime, BaseModel, ConfigDict

__all__ = [
    "Booking", "BookingStatus", "Challenge", "CheckIn", "ErrorBody", "Office", "Policy",
    "PolicyVersion", "Reason", "Slot", "Texts",
]


class Wire(BaseModel):
    """One answer of the API: frozen, strict, extra members ignored (a newer gateway's)."""

    model_config = ConfigDict(frozen=True, strict=True)


class Texts(Wire):
    """A message in both languages."""

    ja: str
    en: str

    def in_language(self, language: str) -> str:
        """The text in ``language`` (``ja`` or ``en``), else the other one."""
        first, second = (self.ja, self.en) if language == "ja" else (self.en, self.ja)
        return first or second


class Reason(Wire):
    """One rule a request broke (a booking rule or a report check)."""

    rule: str
    field: str | None = None
    message: Texts


class ErrorBody(Wire):
    """Every refusal: the service's code, what happened, and each broken rule."""

    error: str
    message: Texts
    reasons: tuple[Reason, ...] = ()


class Office(Wire):
    """An office the gateway books for, with the fields its form asks for."""

    id: str
    name_ja: str
    name_en: str
    kind: int
    phone: str | None
    required_fields: tuple[str, ...]
    optional_fields: tuple[str, ...]
    slot_minutes: int
    video_app: str
    #: Minutes a booking waits for its emailed confirmation (null: no confirmation link).
    confirmation_minutes: int | None

    def name(self, language: str) -> str:
        return Texts(ja=self.name_ja, en=self.name_en).in_language(language)


class Slot(Wire):
    """A consultation slot and whether it can still be booked."""

    start: AwareDatetime
    end: AwareDatetime
    free: bool


class Challenge(Wire):
    """A single-use nonce the next report must carry (``precheck run --challenge``)."""

    nonce: str
    office_id: str
    expires_at: AwareDatetime


class Booking(Wire):
    """A booking the gateway accepted; ``status`` is ``pending_confirmation`` or ``confirmed``."""

    reference: str
    office_id: str
    status: str
    start: AwareDatetime
    end: AwareDatetime
    #: For ``pending_confirmation``: the emailed link must be used before this.
    confirm_by: AwareDatetime | None = None


class BookingStatus(Wire):
    """A booking's state by its reference (no personal data)."""

    reference: str
    office_id: str
    status: str
    start: AwareDatetime
    end: AwareDatetime
    checked_in: bool


class CheckIn(Wire):
    """The gateway's record that the job seeker checked in on the day."""

    reference: str
    status: str
    checked_in_at: AwareDatetime


class PolicyVersion(Wire):
    version: str
    digest: str


class Policy(Wire):
    """The policy versions and checks the gate requires, and its time limits."""

    accepted: tuple[PolicyVersion, ...]
    required_checks: tuple[str, ...]
    report_max_age_minutes: int
    challenge_minutes: int
