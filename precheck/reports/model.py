"""Report format version 1 as pydantic models: typed access to a report in Python.

``report.schema.json`` is the published definition; these models say the same (the tests check
that every document one rejects, the other rejects too) and add what a JSON Schema cannot say:
the verdict and ``blocking`` agree with the checks, and check ids are unique.

Privacy by construction (terms of use, Articles 7 and 8): every model forbids extra members, so a
host name, user name, MAC address, SSID or software list has nowhere to go. Evidence is the one
free-form part; checks keep it minimal and never put such identifiers there.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, JsonValue, model_validator

from precheck.result import Status

#: Every model: immutable, no unknown members, no type coercion (JSON types as they are).
_CONFIG = ConfigDict(frozen=True, extra="forbid", strict=True)

#: A year from 0001 to 9999 (Python's datetime has no year 0), and a leap year among them.
_YEAR = r"([0-9]{3}[1-9]|[0-9]{2}[1-9]0|[0-9][1-9]00|[1-9]000)"
_LEAP = r"([0-9]{2}(0[48]|[2468][048]|[13579][26])|(0[48]|[2468][048]|[13579][26])00)"
#: A real calendar date, by the Gregorian rules: no 2026-02-30, no 2026-11-31, 29 February in
#: leap years only. Plain regular-expression syntax that every JSON Schema validator and
#: pydantic's Rust engine run alike; the schema's ``created`` pattern is this text.
DATE_PATTERN = (
    rf"({_YEAR}-((0[13578]|1[02])-(0[1-9]|[12][0-9]|3[01])|(0[469]|11)-(0[1-9]|[12][0-9]|30)"
    rf"|02-(0[1-9]|1[0-9]|2[0-8]))|{_LEAP}-02-29)"
)
CREATED_PATTERN = rf"^{DATE_PATTERN}T([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]Z$"
DEVICE_ID_PATTERN = r"^d1-[0-9a-f]{32}$"
KEY_ID_PATTERN = r"^k1-[0-9a-f]{32}$"
DIGEST_PATTERN = r"^sha256:[0-9a-f]{64}$"

StatusName = Literal["pass", "warn", "fail", "skip", "error"]


class Texts(BaseModel):
    """A message rendered in both languages precheck speaks."""

    model_config = _CONFIG

    ja: str
    en: str


class TextModel(BaseModel):
    """A message id with its arguments (nested messages in ``{"msgid", "args"}`` form) and its
    text in Japanese and English, rendered when the report was made."""

    model_config = _CONFIG

    msgid: str
    args: dict[str, JsonValue]
    text: Texts


class Provider(BaseModel):
    """The distribution that registered a check, and its version."""

    model_config = _CONFIG

    package: Annotated[str, Field(min_length=1)]
    version: str


class CheckEntry(BaseModel):
    """One check's metadata and result."""

    model_config = _CONFIG

    id: Annotated[str, Field(min_length=1)]
    article: str
    required: bool
    title: TextModel
    status: StatusName
    summary: TextModel
    evidence: dict[str, JsonValue]
    fix: list[TextModel]
    duration_ms: Annotated[int, Field(ge=0)]
    provider: Provider | None = None

    @property
    def blocks(self) -> bool:
        """True when this check keeps the booking from going ahead."""
        return self.required and Status(self.status).blocks


class Tool(BaseModel):
    model_config = _CONFIG

    name: Literal["precheck"]
    version: Annotated[str, Field(min_length=1)]


class PolicyRef(BaseModel):
    """The policy that judged the checks."""

    model_config = _CONFIG

    version: Annotated[str, Field(min_length=1)]
    digest: Annotated[str, Field(pattern=DIGEST_PATTERN)]
    #: Check plugins' sections in force (see precheck.policy.combined_digest).
    plugins: Annotated[dict[str, dict[str, JsonValue]], Field(min_length=1)] | None = None


class PlatformInfo(BaseModel):
    """The operating system (precheck.probes.OsInfo): never a host or user name."""

    model_config = _CONFIG

    os: Literal["windows", "macos", "linux", "ios", "ipados", "android"]
    id: Annotated[str, Field(min_length=1)]
    name: str
    version: str
    build: str | None
    edition: str | None
    arch: str | None
    #: pc, phone or tablet; None: the OS says it (a browser check sets it).
    device: Literal["pc", "phone", "tablet"] | None = None

    @property
    def device_class(self) -> str:
        """pc, phone or tablet: ``device`` when given, else what the OS implies."""
        if self.device is not None:
            return self.device
        return {"ios": "phone", "ipados": "tablet", "android": "phone"}.get(self.os, "pc")


class Source(BaseModel):
    """Whether this machine was checked live, a diagnostic bundle was replayed, or the booking
    gateway judged its browser check (a report the gateway signs with its own key)."""

    model_config = _CONFIG

    kind: Literal["live", "bundle", "browser"]
    bundle_digest: str | None


class Signature(BaseModel):
    """An Ed25519 signature and the public key that checks it (see precheck.reports.signing)."""

    model_config = _CONFIG

    alg: Literal["Ed25519"]
    key_id: Annotated[str, Field(pattern=KEY_ID_PATTERN)]
    public_key: Annotated[str, Field(pattern=r"^[A-Za-z0-9_-]{43}$")]
    value: Annotated[str, Field(pattern=r"^[A-Za-z0-9_-]{86}$")]


class Report(BaseModel):
    """A whole report, signed or not."""

    model_config = _CONFIG

    report_version: Literal[1]
    tool: Tool
    policy: PolicyRef
    created: Annotated[str, Field(pattern=CREATED_PATTERN)]
    platform: PlatformInfo
    device_id: Annotated[str, Field(pattern=DEVICE_ID_PATTERN)]
    source: Source
    challenge: str | None
    checks: list[CheckEntry]
    verdict: Literal["pass", "fail"]
    blocking: list[str]
    signature: Signature | None = None

    @model_validator(mode="after")
    def _consistent(self) -> Report:
        ids = [check.id for check in self.checks]
        duplicates = sorted({i for i in ids if ids.count(i) > 1})
        if duplicates:
            msg = f"check ids appear more than once: {', '.join(duplicates)}"
            raise ValueError(msg)
        blocking = [check.id for check in self.checks if check.blocks]
        if self.blocking != blocking:
            msg = f"blocking lists {self.blocking}, but the checks that block are {blocking}"
            raise ValueError(msg)
        verdict = "fail" if blocking else "pass"
        if self.verdict != verdict:
            msg = f"verdict is {self.verdict!r}, but the checks give {verdict!r}"
            raise ValueError(msg)
        return self
