"""The outbox against a real SMTP server (aiosmtpd on 127.0.0.1): mail goes out once, waits
while the server is down or says "later", is set aside but kept when refused for good, and two
senders never send one mail twice."""

from __future__ import annotations

import asyncio
import email
import email.policy
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select

from precheck.gateway import mail_sender
from precheck.gateway.db import session_factory
from precheck.gateway.models import OutboxMail
from precheck.gateway.settings import GatewaySettings
from tests.gateway.conftest import MONDAY
from tests.gateway.test_service import THURSDAY_1000, WEDNESDAY_1030


class Mailbox:
    """An aiosmtpd handler that keeps what it receives, or answers with a chosen error."""

    def __init__(self) -> None:
        self.messages: list[email.message.EmailMessage] = []
        self.answer = "250 OK"
        self.lock = threading.Lock()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        if self.answer.startswith("250"):
            parsed = email.message_from_bytes(envelope.content, policy=email.policy.default)
            with self.lock:
                self.messages.append(parsed)
        return self.answer


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def running_smtp() -> Iterator[tuple[Mailbox, Controller]]:
    """A real SMTP server on 127.0.0.1 that keeps what it receives; stop it
    (controller.stop()) to simulate an outage."""
    mailbox = Mailbox()
    controller = Controller(mailbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        yield mailbox, controller
    finally:
        if getattr(controller, "_thread", None) is not None:
            controller.stop()


@pytest.fixture
def smtp() -> Iterator[tuple[Mailbox, Controller]]:
    with running_smtp() as server:
        yield server


def with_smtp(settings: GatewaySettings, port: int) -> GatewaySettings:
    return settings.replace(smtp_host="127.0.0.1", smtp_port=port,
                            smtp_timeout=timedelta(seconds=5), mail_from="gateway@hw.test")


def outbox(engine: Any) -> list[OutboxMail]:
    with session_factory(engine)() as session:
        return list(session.execute(select(OutboxMail).order_by(OutboxMail.id)).scalars())


def test_a_booking_mail_is_delivered_once_with_its_headers(
        gateway: Any, engine: Any, book: Any, settings: GatewaySettings,
        smtp: tuple[Mailbox, Controller]) -> None:
    mailbox, controller = smtp
    created = book("namerikawa", THURSDAY_1000, MONDAY)
    configured = with_smtp(settings, controller.port)
    sessions = session_factory(engine)
    counts = mail_sender.send_due(sessions, configured, MONDAY)
    assert (counts.sent, counts.retrying, counts.failed) == (1, 0, 0)
    assert mail_sender.send_due(sessions, configured, MONDAY + timedelta(minutes=1)).sent == 0
    [message] = mailbox.messages
    assert message["To"] == "taro@example.jp"
    assert message["From"] == "gateway@hw.test"
    assert str(message["Subject"]).startswith("オンライン職業相談の予約を受け付けました")
    assert message["Auto-Submitted"] == "auto-generated"
    plain = message.get_body(("plain",))
    assert plain is not None
    body = plain.get_content()
    assert f"https://gateway.test/bookings/manage/{created.cancel_token}" in body
    [row] = outbox(engine)
    assert row.sent_at == MONDAY
    assert row.attempts == 1
    assert message["Message-ID"] == row.message_id


def test_a_mail_server_that_is_down_loses_nothing(
        gateway: Any, engine: Any, book: Any, settings: GatewaySettings) -> None:
    book("namerikawa", THURSDAY_1000, MONDAY)
    book("tenmonkan", WEDNESDAY_1030, MONDAY, email="hanako@example.jp")
    port = free_port()  # nothing listens here yet
    configured = with_smtp(settings, port)
    sessions = session_factory(engine)
    counts = mail_sender.send_due(sessions, configured, MONDAY)
    assert (counts.sent, counts.retrying, counts.failed) == (0, 2, 0)
    rows = outbox(engine)
    for row in rows:
        assert row.attempts == 1
        assert row.sent_at is None
        assert row.failed_at is None
        assert row.last_error == "ConnectionRefusedError"  # never the address
        assert MONDAY + timedelta(seconds=24) <= row.next_attempt_at <= MONDAY + timedelta(
            seconds=30)
    # A second failure waits twice as long.
    retry = max(row.next_attempt_at for row in rows)
    assert mail_sender.send_due(sessions, configured, retry).retrying == 2
    later = outbox(engine)
    assert all(row.attempts == 2 for row in later)
    assert all(retry + timedelta(seconds=48) <= row.next_attempt_at
               <= retry + timedelta(seconds=60) for row in later)
    # The server comes back: both mails go out at their next attempt, not before.
    mailbox = Mailbox()
    controller = Controller(mailbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        assert mail_sender.send_due(sessions, configured, retry + timedelta(seconds=30)).sent == 0
        assert mail_sender.send_due(sessions, configured, retry + timedelta(minutes=1)).sent == 2
    finally:
        controller.stop()
    assert sorted(m["To"] for m in mailbox.messages) == ["hanako@example.jp", "taro@example.jp"]


def test_a_temporary_refusal_is_retried_and_a_permanent_one_is_kept_as_failed(
        gateway: Any, engine: Any, book: Any, settings: GatewaySettings,
        smtp: tuple[Mailbox, Controller]) -> None:
    mailbox, controller = smtp
    book("namerikawa", THURSDAY_1000, MONDAY)
    configured = with_smtp(settings, controller.port)
    sessions = session_factory(engine)
    mailbox.answer = "451 4.3.0 Try again later"
    assert mail_sender.send_due(sessions, configured, MONDAY).retrying == 1
    assert outbox(engine)[0].last_error == "SMTPDataError 451"
    mailbox.answer = "554 5.7.1 Rejected"
    assert mail_sender.send_due(sessions, configured, MONDAY + timedelta(hours=1)).failed == 1
    [row] = outbox(engine)
    assert row.failed_at is not None
    assert row.sent_at is None
    assert row.body  # kept, for `precheck gateway outbox --retry-failed`
    assert row.sealed_token is not None  # its link still works once it is sent
    assert mail_sender.send_due(sessions, configured, MONDAY + timedelta(days=1)).failed == 0


def test_a_mail_is_set_aside_after_the_last_attempt(
        gateway: Any, engine: Any, book: Any, settings: GatewaySettings) -> None:
    book("namerikawa", THURSDAY_1000, MONDAY)
    configured = with_smtp(settings, free_port()).replace(mail_max_attempts=2)
    sessions = session_factory(engine)
    assert mail_sender.send_due(sessions, configured, MONDAY).retrying == 1
    assert mail_sender.send_due(sessions, configured, MONDAY + timedelta(hours=1)).failed == 1
    assert outbox(engine)[0].failed_at == MONDAY + timedelta(hours=1)


def test_backoff_doubles_up_to_its_cap() -> None:
    settings = GatewaySettings(database_url="sqlite://", mail_backoff_base=timedelta(seconds=30),
                               mail_backoff_cap=timedelta(hours=1))
    for attempts, full in ((1, 30), (2, 60), (3, 120), (8, 3600), (40, 3600)):
        delay = mail_sender.backoff(settings, attempts).total_seconds()
        assert 0.8 * full <= delay <= full


def test_without_an_smtp_server_configured_mail_waits(
        gateway: Any, engine: Any, book: Any, settings: GatewaySettings) -> None:
    book("namerikawa", THURSDAY_1000, MONDAY)
    counts = mail_sender.send_due(session_factory(engine), settings, MONDAY)
    assert (counts.sent, counts.retrying, counts.failed) == (0, 0, 0)
    assert outbox(engine)[0].attempts == 0


def test_two_senders_at_once_send_each_mail_once(
        gateway: Any, engine: Any, book: Any, settings: GatewaySettings,
        smtp: tuple[Mailbox, Controller]) -> None:
    mailbox, controller = smtp
    for minutes in range(0, 120, 30):
        book("namerikawa", THURSDAY_1000 + timedelta(minutes=minutes), MONDAY,
             email=f"p{minutes}@example.jp")
    configured = with_smtp(settings, controller.port)
    sessions = session_factory(engine)
    barrier = threading.Barrier(2)

    def sender() -> None:
        barrier.wait()
        mail_sender.send_due(sessions, configured, MONDAY)

    threads = [threading.Thread(target=sender) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    ids = [m["Message-ID"] for m in mailbox.messages]
    assert len(ids) == 4
    assert len(set(ids)) == 4
    assert all(row.sent_at is not None for row in outbox(engine))


def test_the_worker_sends_until_it_is_stopped(
        gateway: Any, engine: Any, book: Any, settings: GatewaySettings,
        smtp: tuple[Mailbox, Controller]) -> None:
    mailbox, controller = smtp
    book("namerikawa", THURSDAY_1000, MONDAY)
    configured = with_smtp(settings, controller.port).replace(
        mail_interval=timedelta(milliseconds=50))

    async def run() -> None:
        stop = asyncio.Event()
        worker = asyncio.create_task(mail_sender.run_sender(
            session_factory(engine), configured, stop, lambda: MONDAY))
        for _ in range(200):
            if mailbox.messages:
                break
            await asyncio.sleep(0.05)
        stop.set()
        await asyncio.wait_for(worker, 10)

    asyncio.run(run())
    assert len(mailbox.messages) == 1
