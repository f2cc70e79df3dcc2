"""Windows Security Center (``root\\SecurityCenter2``): registered antivirus and firewall products.

Security Center exists on client editions of Windows only: Windows Server has no
``root\\SecurityCenter2`` namespace (the WMI query fails with "Invalid namespace"; osquery#6389,
glpi-agent#565, fusioninventory-agent#701), so callers must fall back to another source there.
Each product registers itself with a ``productState`` number that Microsoft does not document
("not documented except through an NDA", https://stackoverflow.com/questions/4700897; Cloudflare's
WARP docs: "Microsoft does not support decoding the productState"). The decoding used here is the
one every public tool agrees on, checked against values seen with known products:

=============  ===========  ==============================================================
bits           mask         meaning
=============  ===========  ==============================================================
16-23          0xFF0000     the Security Center providers the product implements (flags):
                            0x01 firewall, 0x02 automatic updates, 0x04 antivirus,
                            0x08 antispyware, 0x10 internet settings, 0x20 user account
                            control, 0x40 service (WSC_SECURITY_PROVIDER)
12-15          0x00F000     the product's state: 0 off, 1 on, 2 snoozed, 3 expired
                            (the same four states as the documented
                            WSC_SECURITY_PRODUCT_STATE of iwscapi.h, numbered differently)
8-11           0x000F00     the owner: 1 Microsoft (Windows Defender), 0 a third party
4-7            0x0000F0     signatures: 0 up to date, 1 out of date
=============  ===========  ==============================================================

Sources (read 2026-11): the masks in Idera PowerTip "Identifying Antivirus Engine State"
(https://community.idera.com/database-tools/powershell/powertips/b/tips/posts/identifying-antivirus-engine-state),
mcpforlife.com "How to resolve this state value of AV providers" (2020-04-14) as quoted by the
enum ``ProductState``/``SignatureStatus``/``ProductOwner`` in several auditing scripts, amidaware
community-scripts ``Win_Antivirus_Verify.ps1``; the provider flags from neophob.com "WMI query
windows securitycenter2" (2010) and ``WSC_SECURITY_PROVIDER`` in Microsoft's wscapi.h. Observed
values: 397568 = 0x061100 Windows Defender on and up to date (Cloudflare antivirus.mdx, a
``Get-WmiObject`` output of 2024-05-23); 393472 = 0x060100 Defender off; 397584 = 0x061110 Defender
on with out-of-date signatures (netinvent/windows_tools ``tests/test_antivirus.py``); 266240 =
0x041000 a third-party antivirus on; 266256 = 0x041010 on, out of date; 262144 / 262160 off.

A product can be registered twice under one name (an update that leaves its old instance behind:
amidaware/community-scripts#268, one instance "on", the other "up to date"), and an uninstalled
product can leave its entry behind, usually "off" (zoicware/RemoveWindowsAI#244).
:func:`merge_by_name` folds duplicates into one product; callers judge by the products that are
on, so an "off" leftover never hides a product that is on.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from precheck.system import System

NAMESPACE = "root/SecurityCenter2"
STATE_OFF, STATE_ON, STATE_SNOOZED, STATE_EXPIRED = 0, 1, 2, 3
OWNER_MICROSOFT = 1
SIGNATURES_OUT_OF_DATE = 1
PROVIDER_FIREWALL, PROVIDER_ANTIVIRUS, PROVIDER_ANTISPYWARE = 0x01, 0x04, 0x08


@dataclass(frozen=True, slots=True)
class ProductState:
    """What a ``productState`` value says."""

    raw: int
    enabled: bool
    snoozed: bool
    up_to_date: bool
    expired: bool = False
    microsoft: bool = False  # owned by Windows (Defender) rather than a third party
    providers: int = 0  # WSC_SECURITY_PROVIDER flags


def decode_product_state(value: int) -> ProductState:
    state = (value >> 12) & 0xF
    return ProductState(
        raw=value,
        enabled=state == STATE_ON,
        snoozed=state == STATE_SNOOZED,
        up_to_date=((value >> 4) & 0xF) != SIGNATURES_OUT_OF_DATE,
        expired=state == STATE_EXPIRED,
        microsoft=((value >> 8) & 0xF) == OWNER_MICROSOFT,
        providers=(value >> 16) & 0xFF,
    )


@dataclass(frozen=True, slots=True)
class RegisteredProduct:
    """One product registered in Security Center (the display name stays on the machine only
    when the check chooses; reports name the product, never the whole list)."""

    name: str
    state: ProductState | None  # None: no readable productState: on or off cannot be told
    timestamp: str | None  # when the product last updated its registration, as WMI gives it
    instances: int = 1  # how many registrations were merged into this one (see merge_by_name)

    @property
    def enabled(self) -> bool:
        return self.state is not None and self.state.enabled

    @property
    def up_to_date(self) -> bool:
        return self.state is not None and self.state.up_to_date

    @property
    def microsoft(self) -> bool:
        return self.state is not None and self.state.microsoft

    @property
    def builtin(self) -> bool:
        """Windows' own product: owned by Microsoft, or named Windows/Microsoft Defender (which
        a registration without a readable state still is)."""
        folded = self.name.casefold()
        return (self.microsoft or "windows defender" in folded
                or "microsoft defender" in folded)


def parse_products(instances: list[dict[str, object]]) -> list[RegisteredProduct]:
    """Products from the instances of a Security Center class, in the order WMI gave them."""
    products: list[RegisteredProduct] = []
    for instance in instances:
        state = instance.get("productState")
        name = instance.get("displayName")
        stamp = instance.get("timestamp")
        if isinstance(state, str) and state.strip().isdigit():
            state = int(state)  # a wmic or CSV export gives text
        if isinstance(state, int) and not 0 <= state <= 0xFFFFFF:
            state = None  # not a productState: read as "no state", never as "off"
        products.append(RegisteredProduct(
            name=str(name).strip() if name else "",
            state=decode_product_state(state) if isinstance(state, int)
            and not isinstance(state, bool) else None,
            timestamp=str(stamp) if stamp else None,
        ))
    return products


def merge_by_name(products: list[RegisteredProduct]) -> list[RegisteredProduct]:
    """One product per display name: on when any of its registrations is on, up to date when
    any of its registrations is up to date.

    An antivirus that updated itself can stay registered twice, one instance saying "on" and the
    other "up to date" (amidaware/community-scripts#268): judged one by one, neither passes.
    """
    groups: dict[str, list[RegisteredProduct]] = {}
    for product in products:
        groups.setdefault(product.name.casefold(), []).append(product)
    merged: list[RegisteredProduct] = []
    for group in groups.values():
        if len(group) == 1:
            merged.append(group[0])
            continue
        states = [p.state for p in group if p.state is not None]
        on = [s for s in states if s.enabled]
        if not states or (not on and len(states) < len(group)):
            # No registration says "on" and one says nothing: whether it is on cannot be told.
            merged.append(RegisteredProduct(group[0].name, None, group[0].timestamp, len(group)))
            continue
        judged = on or states
        state = ProductState(
            raw=judged[0].raw,
            enabled=bool(on),
            snoozed=not on and any(s.snoozed for s in states),
            up_to_date=any(s.up_to_date for s in states),
            expired=not on and any(s.expired for s in states),
            microsoft=any(s.microsoft for s in states),
            providers=0 if not states else max(s.providers for s in states),
        )
        stamps = sorted(p.timestamp for p in group if p.timestamp)
        merged.append(RegisteredProduct(group[0].name, state, stamps[-1] if stamps else None,
                                        len(group)))
    return merged


def registered_products(system: System, cls: str) -> list[RegisteredProduct]:
    """The products of a Security Center class (``AntiVirusProduct``, ``FirewallProduct``,
    ``AntiSpywareProduct``). WMI errors (e.g. the namespace is missing on Windows Server) raise
    :class:`precheck.errors.ProbeError` with kind ``wmi_error``."""
    return parse_products(system.wmi(NAMESPACE, cls))  # type: ignore[arg-type]
