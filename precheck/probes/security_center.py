"""Windows Security Center (``root\\SecurityCenter2``): registered antivirus and firewall products.

Security Center exists on client editions of Windows only (not on Windows Server), and each
product registers itself there with a ``productState`` number that Microsoft does not document.
Its widely used decoding (read from third-party write-ups and from the values observed with known
products; see docs/checks.md for the sources) treats the 24-bit value as three bytes:

* bits 16-23: the product type flags (which Security Center providers it implements);
* bits 8-15: the scanner state: ``0x10`` or ``0x11`` means on (enabled); ``0x00`` and ``0x01``
  mean off; ``0x20`` means snoozed (off for now);
* bits 0-7: the signature state: ``0x00`` means up to date; ``0x10`` means out of date.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from precheck.system import System

NAMESPACE = "root/SecurityCenter2"
ENABLED_STATES = frozenset({0x10, 0x11})
SNOOZED_STATE = 0x20
OUT_OF_DATE = 0x10


@dataclass(frozen=True, slots=True)
class ProductState:
    """What a ``productState`` value says."""

    raw: int
    enabled: bool
    snoozed: bool
    up_to_date: bool


def decode_product_state(value: int) -> ProductState:
    scanner = (value >> 8) & 0xFF
    signatures = value & 0xFF
    return ProductState(
        raw=value,
        enabled=scanner in ENABLED_STATES,
        snoozed=scanner == SNOOZED_STATE,
        up_to_date=signatures != OUT_OF_DATE,
    )


@dataclass(frozen=True, slots=True)
class RegisteredProduct:
    """One product registered in Security Center (the display name stays on the machine only
    when the check chooses; reports name the product, never the whole list)."""

    name: str
    state: ProductState | None  # None: no productState (a broken registration)
    timestamp: str | None  # when the product last updated its registration, as WMI gives it


def registered_products(system: System, cls: str) -> list[RegisteredProduct]:
    """The products of a Security Center class (``AntiVirusProduct``, ``FirewallProduct``,
    ``AntiSpywareProduct``). WMI errors (e.g. the namespace is missing on Windows Server) raise
    :class:`precheck.errors.ProbeError` with kind ``wmi_error``."""
    products: list[RegisteredProduct] = []
    for instance in system.wmi(NAMESPACE, cls):
        state = instance.get("productState")
        name = instance.get("displayName")
        stamp = instance.get("timestamp")
        products.append(RegisteredProduct(
            name=str(name) if name else "",
            state=decode_product_state(state) if isinstance(state, int) else None,
            timestamp=str(stamp) if stamp else None,
        ))
    return products
