"""A mail the server refuses for good (issue 13's finding: the page said "we sent an email",
then the mail was set aside and nobody knew). Now the page says the mail is being sent and what
to do when none arrives, and staff see on their day view that the job seeker must be phoned.
Against a real SMTP server (aiosmtpd) that answers 550."""

from __future__ import annotations

from datetime import timedelta

from precheck.gateway import mail
from precheck.gateway.db import session_factory
from precheck.gateway.settings import GatewaySettings
from tests.gateway.pages_support import Site
from tests.gateway.test_mail import Mailbox, free_port, with_smtp
from tests.gateway.test_staff import book, day_view, log_in
from tests.gateway.test_staff import site as site  # the staff pages' fixture, used here too


def test_a_refused_address_is_shown_to_staff_and_the_page_never_said_sent(
        site: Site) -> None:
    from aiosmtpd.controller import Controller

    booked = book(site)
    assert booked.status_code == 201
    assert "送りました" not in booked.text  # the mail leaves later, through the outbox
    assert "お送りします" in booked.text
    log_in(site)
    assert "連絡が必要です" not in day_view(site).text  # nothing failed yet

    mailbox = Mailbox()
    mailbox.answer = "550 5.1.1 No such user here"
    controller = Controller(mailbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        settings: GatewaySettings = site.gateway.settings
        counts = mail.send_due(session_factory(site.engine), with_smtp(settings, controller.port),
                               site.clock.moment + timedelta(seconds=1))
    finally:
        controller.stop()
    assert (counts.sent, counts.failed) == (0, 1)
    assert mailbox.messages == []
    page = day_view(site)
    assert "メールが届きませんでした" in page.text
    assert "電話で連絡が必要です" in page.text
