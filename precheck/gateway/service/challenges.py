"""Challenges: the single-use nonce a report carries, issued, consumed once, and the
report admitted with what this gateway measured itself."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import select, update

from precheck.gateway import challenge_code, gate
from precheck.gateway.gate import GateRejected, Reason
from precheck.gateway.models import Booking, Challenge
from precheck.gateway.offices import OfficeProfile
from precheck.gateway.service.base import GatewayBase, _aware, _sha256, _source, _transaction
from precheck.gateway.service.values import IssuedChallenge

if TYPE_CHECKING:
    from sqlalchemy.orm import Session


#: ``session.info`` key: the challenge a booking just consumed (hash, id, client).
_CHALLENGE_SEEN = "precheck_challenge"


class ChallengeOps(GatewayBase):
    """Issuing and consuming challenges; admitting a report."""

    def issue_challenge(self, session: Session, office_id: str, now: datetime,
                        client: str | None = None) -> IssuedChallenge:
        """A new single-use nonce for a report to carry, valid for ``challenge_ttl``; it
        remembers (as a keyed hash) the address ``client`` it went to."""
        office = self.office(office_id)
        nonce = challenge_code.new()  # safe to copy and to read aloud
        expires = _aware(now) + self.settings.challenge_ttl
        with _transaction(session):
            session.add(Challenge(nonce_hash=_sha256(nonce), office_id=office.id,
                                  created_at=now, expires_at=expires,
                                  client=self.keyed("client:" + client) if client else None))
        return IssuedChallenge(nonce, office.id, expires)

    def _take_challenge(self, session: Session, nonce: str, office_id: str, now: datetime,
                        *, consume: bool) -> Reason | None:
        """Consume the nonce (compare-and-swap on ``used_at``); or say why it cannot be used."""
        digest = _sha256(challenge_code.canonical(nonce))
        if consume:
            taken = session.execute(
                update(Challenge)
                .where(Challenge.nonce_hash == digest, Challenge.office_id == office_id,
                       Challenge.used_at.is_(None), Challenge.expires_at > now)
                .values(used_at=now)
                .returning(Challenge.id, Challenge.client)).first()
            if taken is not None:
                session.info[_CHALLENGE_SEEN] = (digest, taken[0], taken[1])
                return None
        row = session.execute(select(Challenge).where(Challenge.nonce_hash == digest)
                              ).scalar_one_or_none()
        if row is None:
            return gate.challenge_reason(gate.CHALLENGE_UNKNOWN)
        if row.office_id != office_id:
            return gate.challenge_reason(gate.CHALLENGE_OTHER_OFFICE)
        if row.used_at is not None:
            return gate.challenge_reason(gate.CHALLENGE_USED)
        if row.expires_at <= now:
            return gate.challenge_reason(gate.CHALLENGE_EXPIRED)
        return None

    def _challenge_id(self, session: Session, nonce: str) -> int:
        return self._challenge_row(session, nonce)[0]

    @staticmethod
    def _challenge_row(session: Session, nonce: str) -> tuple[int, str | None]:
        """The challenge's id and client (as _take_challenge just read them, or from the
        database): a booking needs them twice and they never change."""
        digest = _sha256(challenge_code.canonical(nonce))
        seen = session.info.get(_CHALLENGE_SEEN)
        if seen is not None and seen[0] == digest:
            return seen[1], seen[2]
        row = session.execute(select(Challenge.id, Challenge.client).where(
            Challenge.nonce_hash == digest)).one()
        return row[0], row[1]

    def _evidence_reasons(self, session: Session, accepted: gate.AcceptedReport,
                          now: datetime) -> list[Reason]:
        """The report against what this gateway measured itself (evidence.py)."""
        if not self.gate.observed_checks or _source(accepted.document) == "browser":
            # A browser check's report was written and signed by this gateway from figures it
            # measured itself (sources.py holds it to this gateway's own key).
            return []
        from precheck.gateway import evidence

        challenge_id, client = self._challenge_row(session, accepted.challenge)
        return evidence.measurement_reasons(session, self.gate, accepted,
                                            challenge_client=client,
                                            challenge_id=challenge_id, now=now)

    def _existing(self, session: Session, accepted: gate.AcceptedReport, office_id: str,
                  start: datetime) -> Booking | None:
        """The booking this very request made before (same challenge, same report, same time):
        a client retrying a POST whose answer was lost gets it back instead of challenge_used.
        The same report sent for another time is another request, and its challenge is spent."""
        return session.execute(
            select(Booking).join(Challenge, Challenge.id == Booking.challenge_id)
            .where(Challenge.nonce_hash == _sha256(challenge_code.canonical(accepted.challenge)),
                   Booking.report_digest == accepted.digest,
                   Booking.office_id == office_id,
                   Booking.slot_start == start)).scalar_one_or_none()

    def _admit(self, session: Session, office: OfficeProfile, inspection: gate.Inspection,
               now: datetime, refused: Sequence[Reason] = ()) -> gate.AcceptedReport:
        """The report, once its challenge is consumed and its measurements hold; else
        GateRejected with every reason, ``refused`` (the caller's own) first (the challenge
        is then left unused)."""
        reasons = [*refused, *inspection.reasons]
        if inspection.challenge:
            taken = self._take_challenge(session, inspection.challenge, office.id, now,
                                         consume=not reasons)
            if taken is not None:
                reasons.append(taken)
        if not reasons and inspection.accepted is not None:
            reasons += self._evidence_reasons(session, inspection.accepted, now)
        if reasons or inspection.accepted is None:
            raise GateRejected(reasons)
        return inspection.accepted
