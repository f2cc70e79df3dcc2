"""The booking form's fields: 求職番号, email and phone as people type them, cleaned and
checked against the office's fields."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping

from precheck.gateway.offices import OfficeProfile
from precheck.gateway.rules.schedule import RuleViolation
from precheck.result import N_, Message

#: Characters people type for the hyphen in 求職番号 or a phone number, beyond what NFKC folds:
#: hyphen, non-breaking hyphen, figure dash, en and em dash, horizontal bar, minus sign, the
#: katakana prolonged sound mark (ー; NFKC turns half-width ｰ into it), box-drawing lines an IME
#: offers for ー, the hyphen bullet, the modifier minus and the small and full-width hyphen-minus.
HYPHENS = ("\u2010\u2011\u2012\u2013\u2014\u2015\u2212\u30fc\uff70\u2500\u2501\u2043\u02d7"
           "\ufe63\uff0d")
_HYPHEN_MAP = str.maketrans(dict.fromkeys(HYPHENS, "-"))
_SEPARATORS = re.compile(r"[\s\-]+")


class InvalidJobseekerNumber(ValueError):
    """A 求職番号 that does not match the office's pattern; ``message`` tells the job seeker."""

    def __init__(self, text: str, message: Message) -> None:
        super().__init__(f"not a job-seeker number: {text!r}")
        self.message = message


def _fold(text: str) -> str:
    """Full-width letters and digits to ASCII, and every hyphen look-alike to '-'."""
    return unicodedata.normalize("NFKC", text).translate(_HYPHEN_MAP)


def normalize_jobseeker_number(text: str, pattern: str) -> str:
    """The 求職番号 as printed on the Hello Work card (``12345-678901``), or InvalidJobseekerNumber.

    Accepts full-width digits, any hyphen look-alike, spaces around or instead of the hyphen,
    and the digits with no separator at all when the office code (5 digits) can be split off.
    """
    folded = _SEPARATORS.sub("-", _fold(text).strip()).strip("-")
    candidates = [folded]
    if folded.isdigit() and folded.isascii():
        candidates.append(f"{folded[:5]}-{folded[5:]}")
    for candidate in candidates:
        if re.fullmatch(pattern, candidate):
            return candidate
    if not folded:
        raise InvalidJobseekerNumber(text, Message.of(
            N_("Please enter your job-seeker number (求職番号).")))
    raise InvalidJobseekerNumber(text, Message.of(
        N_("{text} is not a job-seeker number. Enter it as printed on your Hello Work card, "
           "for example 12345-6789012 (5 digits, a hyphen, then the rest)."),
        text=text.strip()[:40]))


_PHONE_DIGITS = re.compile(r"0\d{9,10}")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
MAX_NAME = 100
MAX_NOTE = 1000


class InvalidEmail(ValueError):
    """An address the gateway will not send to; ``message`` tells the job seeker why."""

    def __init__(self, text: str, message: Message) -> None:
        super().__init__(f"not an email address: {text!r}")
        self.message = message


#: RFC 5322 dot-atom text of the local part (ASCII; quoted local parts are not taken).
_LOCAL = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*")
#: A DNS label (RFC 1035, letters, digits and inner hyphens; IDN labels in their xn-- form).
_LABEL = re.compile(r"[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?")
#: What separates recipients or addresses in a header: never inside one address here.
_LIST_MARKS = frozenset(",;<>()[]\"\\:")
_ONE_ONLY = Message.of(N_("Please enter one email address only, without commas, spaces or "
                          "names, for example taro@example.jp."))
_BAD_EMAIL = Message.of(N_("Please check the email address, for example taro@example.jp."))


def normalize_email(text: str) -> str:
    """One address by the domain rules, or InvalidEmail (a ValueError) saying what is wrong.

    Full-width letters are folded (NFKC) and the Japanese full stop 。 (an IME's "." ) becomes
    "."; the domain goes to lower case and IDN labels to their ASCII form. Refused: control
    characters, a second recipient (commas, full-width ones included, semicolons, spaces,
    angle brackets), a local part outside RFC 5322's dot-atom, and a domain that is not at
    least two DNS labels with a top-level domain of letters.
    """
    folded = unicodedata.normalize("NFKC", text).strip().replace("\u3002", ".")
    if any(not c.isprintable() for c in folded):
        raise InvalidEmail(text, _BAD_EMAIL)
    if any(c in _LIST_MARKS or c.isspace() for c in folded) or folded.count("@") > 1:
        raise InvalidEmail(text, _ONE_ONLY)
    local, at, domain = folded.partition("@")
    if not at or len(folded) > 254 or len(local) > 64 or not _LOCAL.fullmatch(local):
        raise InvalidEmail(text, _BAD_EMAIL)
    try:
        ascii_domain = domain.lower().encode("idna").decode("ascii")
    except UnicodeError as exc:
        raise InvalidEmail(text, _BAD_EMAIL) from exc
    labels = ascii_domain.split(".")
    if (len(labels) < 2 or not all(_LABEL.fullmatch(label) for label in labels)
            or not (labels[-1].isalpha() or labels[-1].startswith("xn--"))):
        raise InvalidEmail(text, _BAD_EMAIL)
    return f"{local}@{ascii_domain}"


def normalize_phone(text: str) -> str:
    """A Japanese phone number in ASCII with '-' separators (``076-475-0324``); ValueError if bad.

    Accepts full-width digits, hyphen look-alikes, spaces, brackets and a leading +81.
    """
    folded = _fold(text).strip()
    folded = re.sub(r"^\+81[\s\-]*\(?0?\)?", "0", folded)
    folded = re.sub(r"[\s()]+", "-", folded)
    folded = re.sub(r"-+", "-", folded).strip("-")
    if not re.fullmatch(r"[\d\-]+", folded) or not _PHONE_DIGITS.fullmatch(folded.replace("-", "")):
        msg = f"not a phone number: {text!r}"
        raise ValueError(msg)
    return folded


def check_fields(office: OfficeProfile, values: Mapping[str, str]
                 ) -> tuple[dict[str, str], list[RuleViolation]]:
    """The office's form fields (all but ``start``) cleaned, and what is wrong with them.

    Fields the office does not ask for are dropped, so no personal data is kept without a reason.
    A missing optional field is left out; an empty required one is a violation.
    """
    clean: dict[str, str] = {}
    problems: list[RuleViolation] = []
    for field in office.fields:
        if field == "start":
            continue
        raw = (values.get(field) or "").strip()
        if not raw:
            if field in office.required_fields:
                problems.append(RuleViolation("missing", Message.of(
                    N_("Please fill in: {field}."), field=field_label(field)), field))
            continue
        try:
            clean[field] = _clean(office, field, raw)
        except (InvalidJobseekerNumber, InvalidEmail) as exc:
            problems.append(RuleViolation("invalid", exc.message, field))
        except ValueError:
            problems.append(RuleViolation("invalid", _INVALID[field], field))
    return clean, problems


def _clean(office: OfficeProfile, field: str, raw: str) -> str:
    if field == "jobseeker_number":
        return normalize_jobseeker_number(raw, office.jobseeker_number_pattern)
    if field == "email":
        return normalize_email(raw)
    if field == "phone":
        return normalize_phone(raw)
    text = unicodedata.normalize("NFC", raw)
    if field == "name":
        text = " ".join(text.split())
        if len(text) > MAX_NAME or _CONTROL.search(text):
            raise ValueError(field)
        return text
    text = _CONTROL.sub("", text)  # the note keeps its line breaks and tabs
    if len(text) > MAX_NOTE:
        raise ValueError(field)
    return text


_INVALID = {
    "name": Message.of(N_("Please enter your name in up to {n} characters."), n=MAX_NAME),
    "email": Message.of(N_("Please check the email address, for example taro@example.jp.")),
    "phone": Message.of(N_("Please check the phone number, for example 090-1234-5678.")),
    "note": Message.of(N_("Please shorten the note to {n} characters."), n=MAX_NOTE),
}

_LABELS = {
    "name": N_("Name"),
    "jobseeker_number": N_("Job-seeker number (求職番号)"),
    "start": N_("Date and time"),
    "email": N_("Email address"),
    "phone": N_("Phone number"),
    "note": N_("Note"),
}


def field_label(field: str) -> Message:
    """The form label of ``field`` as a message (translated when shown)."""
    return Message.of(_LABELS[field])
