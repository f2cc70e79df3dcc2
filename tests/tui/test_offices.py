"""Which offices the booking and check-in screens offer, and which one they preselect."""

from __future__ import annotations

from precheck.tui.offices import OfficeChoice, OfficeList


def office(office_id: str, source: str) -> OfficeChoice:
    return OfficeChoice(office_id, office_id, office_id, 1, None, ("name",), (), source)


def test_only_the_gateways_offices_are_offered_for_booking() -> None:
    found = OfficeList((office("a", "gateway"), office("b", "local")))
    assert found.gateway_choice(None) == ((office("a", "gateway"),), office("a", "gateway"))


def test_the_current_choice_stays_when_the_gateway_lists_it() -> None:
    a, b = office("a", "gateway"), office("b", "gateway")
    assert OfficeList((a, b)).gateway_choice(b) == ((a, b), b)


def test_several_offices_and_no_current_choice_preselect_none() -> None:
    a, b = office("a", "gateway"), office("b", "gateway")
    assert OfficeList((a, b)).gateway_choice(None) == ((a, b), None)
    assert OfficeList((a, b)).gateway_choice(office("c", "local")) == ((a, b), None)


def test_a_local_list_offers_nothing_to_book() -> None:
    assert OfficeList((office("a", "local"),)).gateway_choice(None) == ((), None)
