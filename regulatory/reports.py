"""The yearly Form 12B utilisation report: per permit holder, the drugs imported and used under
each permit in a year, from the cases (DOMAIN.md §2.1: since a 2018 amendment the permit
holder reports drugs imported and used to the licensing authority every year [unconfirmed on
the current form text]; §4 item 22).

The permit holder is the applicant of the case's Form 12A (the parent or guardian; DOMAIN.md
§2.1), told apart by name and PIN code. A case belongs to a year when its permit was issued,
its kit cleared customs (out of charge) or was infused in that year, India dates. Imported
means out of charge; used means infused. Nothing here writes.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass, field

from django.db.models import Q

from cases.clock import IST, ist_date
from cases.models import Case

from .packet_facts import residence

CSV_COLUMNS = [
    ("holder", "Permit holder"),
    ("holder_address", "Permit holder's address"),
    ("patient", "Patient"),
    ("case", "Case"),
    ("permit_number", "Form 12B permit"),
    ("permit_issued_on", "Issued on"),
    ("permit_valid_until", "Valid until"),
    ("drug", "Drug"),
    ("manufacturer", "Manufacturer"),
    ("batch", "Batch / lot imported"),
    ("kits_imported", "Kits imported"),
    ("vials_imported", "Vials imported"),
    ("imported_on", "Imported on (out of charge)"),
    ("bill_of_entry", "Bill of Entry"),
    ("kits_used", "Kits used"),
    ("used_on", "Used on (infusion)"),
    ("lots_used", "Lots used"),
    ("kits_in_hand", "Kits in hand at year end"),
]


@dataclass
class Row:
    holder: str
    holder_address: str
    patient: str
    case: str
    permit_number: str
    permit_issued_on: dt.date | None
    permit_valid_until: dt.date | None
    drug: str
    manufacturer: str
    batch: str
    kits_imported: int
    vials_imported: int | None
    imported_on: dt.date | None
    bill_of_entry: str
    kits_used: int
    used_on: dt.date | None
    lots_used: str

    @property
    def kits_in_hand(self) -> int:
        return self.kits_imported - self.kits_used

    def cells(self) -> list[str]:
        values = []
        for name, _ in CSV_COLUMNS:
            value = getattr(self, name)
            if isinstance(value, dt.date):
                value = value.isoformat()
            values.append("" if value is None else str(value))
        return values


@dataclass
class Holder:
    name: str
    address: str
    rows: list[Row] = field(default_factory=list)

    @property
    def key(self) -> str:
        return holder_key(self.name, self.address)

    @property
    def kits_imported(self) -> int:
        return sum(r.kits_imported for r in self.rows)

    @property
    def kits_used(self) -> int:
        return sum(r.kits_used for r in self.rows)


def holder_key(name: str, address: str) -> str:
    return f"{' '.join(name.split()).lower()}|{address[-6:]}"


def _cases(year: int):
    start = dt.datetime(year, 1, 1, tzinfo=IST)
    end = dt.datetime(year + 1, 1, 1, tzinfo=IST)
    return (
        Case.objects.exclude(permit_number="")
        .filter(
            Q(permit_issued_on__year=year)
            | Q(
                regulatory_file__out_of_charge_at__gte=start,
                regulatory_file__out_of_charge_at__lt=end,
            )
            | Q(infused_at__gte=start, infused_at__lt=end)
        )
        .select_related("patient", "product", "regulatory_file")
        .order_by("patient__guardian_name", "reference")
    )


def _row(case: Case, year: int) -> Row:
    found = getattr(case, "regulatory_file", None)
    imported_on = ist_date(found.out_of_charge_at) if found and found.out_of_charge_at else None
    used_on = ist_date(case.infused_at) if case.infused_at else None
    # Imported and used by the end of the year; an earlier year's kit still counts as in hand.
    year_end = dt.date(year, 12, 31)
    imported = imported_on is not None and imported_on <= year_end
    used = used_on is not None and used_on <= year_end
    kits = (found.quantity_kits or 1) if found else 1
    return Row(
        holder=case.patient.guardian_name,
        holder_address=residence(found) if found and found.applicant_pin else "",
        patient=case.patient.full_name,
        case=case.reference,
        permit_number=case.permit_number,
        permit_issued_on=case.permit_issued_on,
        permit_valid_until=case.permit_valid_until,
        drug=f"{case.product.name} ({case.product.generic_name})",
        manufacturer=case.product.manufacturer,
        batch=found.batch_number if found else "",
        kits_imported=kits if imported else 0,
        vials_imported=(found.quantity_vials if found and imported else None),
        imported_on=imported_on if imported else None,
        bill_of_entry=(found.bill_of_entry_number if found and imported else ""),
        kits_used=kits if used else 0,
        used_on=used_on if used else None,
        lots_used=case.kit_lot_numbers if used else "",
    )


def utilisation(year: int, holder: str = "") -> list[Holder]:
    """The permit holders of ``year`` (or only the one whose ``holder_key`` is ``holder``),
    each with one row per permit."""
    holders: dict[str, Holder] = {}
    for case in _cases(year):
        row = _row(case, year)
        key = holder_key(row.holder, row.holder_address)
        if holder and key != holder:
            continue
        holders.setdefault(key, Holder(row.holder, row.holder_address)).rows.append(row)
    return list(holders.values())


def as_csv(holders: list[Holder]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([label for _, label in CSV_COLUMNS])
    for holder in holders:
        for row in holder.rows:
            writer.writerow([_safe(cell) for cell in row.cells()])
    return out.getvalue()


def _safe(cell: str) -> str:
    """No spreadsheet formula from a name someone typed (CSV injection)."""
    return "'" + cell if cell[:1] in ("=", "+", "-", "@") else cell
