"""The /xuat spreadsheet: one row per dossier of a unit and the units below it.

Secretaries paste these rows into their own reports, so dates are real Excel dates
(dd/mm/yyyy), counts are numbers, the header row is frozen and filterable, and nothing from
the dossier's content appears except the candidate's name.

Names and unit names are typed by people: a text that a spreadsheet would read as a formula
(starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return) is written as a
string cell marked "quote prefix", as Excel marks a text typed after an apostrophe, so it is
shown as typed and never evaluated (:func:`text_cell`).
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

from admission.stages import probation_end
from admission.workdays import from_day_number
from forms import texts

HEADERS: tuple[tuple[str, str, int], ...] = (
    # (key, header, width)
    ("dossier_id", "Số hồ sơ", 9),
    ("full_name", "Họ và tên", 26),
    ("unit", "Đơn vị", 24),
    ("phase", "Giai đoạn", 30),
    ("review_level", "Cấp đang xét", 16),
    ("opened_d", "Ngày mở hồ sơ", 12),
    ("first_submitted_d", "Nộp lý lịch lần đầu", 12),
    ("returns", "Số lần trả lại", 9),
    ("approved_d", "Ngày duyệt lý lịch", 12),
    ("handwritten_d", "Nộp bản viết tay", 12),
    ("verif_sent", "Số người đã gửi thẩm tra", 10),
    ("verif_pending", "Chưa có kết quả thẩm tra", 10),
    ("verif_done_d", "Thẩm tra xong", 12),
    ("chi_bo_d", "Chi bộ biểu quyết (6-KNĐ)", 12),
    ("dang_uy_d", "Đảng ủy biểu quyết (8-KNĐ)", 12),
    ("decision_d", "Quyết định kết nạp (9-KNĐ)", 12),
    ("ceremony_d", "Lễ kết nạp", 12),
    ("probation_end", "Hết dự bị", 12),
    ("official_d", "Chính thức (16-KNĐ)", 12),
    ("not_admitted_d", "Không kết nạp", 12),
    ("cert_d", "Cấp GCN nhận thức về Đảng", 12),
    ("overdue", "Quá hạn", 50),
    ("upcoming", "Sắp đến hạn", 30),
)
_DATE_KEYS = frozenset(k for k, _, _ in HEADERS if k.endswith("_d") or k == "probation_end")
# What makes a spreadsheet read a text cell as a formula (OWASP "CSV injection").
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def text_cell(ws: Any, value: Any) -> Any:
    """``value`` as written to the sheet: a text that starts like a formula becomes a string
    cell with the quote prefix (shown as typed, never evaluated); anything else unchanged."""
    if not isinstance(value, str) or not value.startswith(FORMULA_STARTS):
        return value
    from openpyxl.cell import WriteOnlyCell

    cell = WriteOnlyCell(ws, value=value)
    cell.data_type = "s"
    cell.quotePrefix = True
    return cell


def dossier_cells(
    row: Mapping[str, Any],
    unit_names: Mapping[int, str],
    overdue: Sequence[str],
    level_names: Mapping[int, str] | None = None,
    upcoming: Sequence[str] = (),
) -> list[Any]:
    """The spreadsheet cells of one dossier row from ``SummaryQueries.export_rows``."""
    values: dict[str, Any] = dict(row)
    values["unit"] = unit_names.get(row.get("unit_id") or 0, "")
    values["phase"] = texts.message(f"secretary.phases.{row['phase']}")
    # the level reviewing it, by name, only while it is under review (the column keeps the
    # last level once approved, which would read as "still being reviewed")
    level = row.get("review_level")
    values["review_level"] = None
    if row["phase"] == "submitted" and level is not None:
        values["review_level"] = (level_names or {}).get(level, level)
    ceremony = row.get("ceremony_d")
    values["probation_end"] = probation_end(ceremony) if ceremony is not None else None
    values["overdue"] = "; ".join(overdue)
    values["upcoming"] = "; ".join(upcoming)  # a deadline still ahead is not "Quá hạn"
    cells: list[Any] = []
    for key, _, _ in HEADERS:
        value = values.get(key)
        if key in _DATE_KEYS and isinstance(value, int):
            value = from_day_number(value)
        cells.append(value)
    return cells


def dossiers_workbook(
    rows: Sequence[Mapping[str, Any]],
    unit_names: Mapping[int, str],
    *,
    title: str,
    today: date,
    overdue: Mapping[int, Sequence[str]] | None = None,
    level_names: Mapping[int, str] | None = None,
    upcoming: Mapping[int, Sequence[str]] | None = None,
) -> bytes:
    """The .xlsx bytes: sheet "Hồ sơ" with a header row and one row per dossier.

    Written in openpyxl's streaming (write-only) mode: a đảng bộ's 10 000 rows take a second,
    not several.
    """
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.utils import get_column_letter

    overdue = overdue or {}
    upcoming = upcoming or {}
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("Hồ sơ")
    for index, (_, _, width) in enumerate(HEADERS, start=1):
        ws.column_dimensions[get_column_letter(index)].width = width
    ws.freeze_panes = "C2"
    ws.append(_header(ws))
    date_columns = [i for i, (key, _, _) in enumerate(HEADERS) if key in _DATE_KEYS]
    for row in rows:
        cells: list[Any] = dossier_cells(
            row,
            unit_names,
            overdue.get(row["dossier_id"], ()),
            level_names,
            upcoming.get(row["dossier_id"], ()),
        )
        for i in date_columns:
            if cells[i] is not None:
                cell = WriteOnlyCell(ws, value=cells[i])
                cell.number_format = "DD/MM/YYYY"
                cells[i] = cell
        ws.append([text_cell(ws, value) for value in cells])
    ws.auto_filter.ref = f"A1:{get_column_letter(len(HEADERS))}{len(rows) + 1}"
    _info_sheet(wb, title, today, len(rows))
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _header(ws: Any) -> list[Any]:
    """The header row: bold, shaded, wrapped."""
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Alignment, Font, PatternFill

    bold = Font(bold=True)
    fill = PatternFill("solid", fgColor="DDE6F0")
    wrap = Alignment(wrap_text=True, vertical="center")
    header = []
    for _, text, _ in HEADERS:
        cell = WriteOnlyCell(ws, value=text)
        cell.font, cell.fill, cell.alignment = bold, fill, wrap
        header.append(cell)
    return header


def _info_sheet(wb: Any, title: str, today: date, count: int) -> None:
    """Sheet "Thông tin": what the list is, when it was made, how many dossiers."""
    from openpyxl.cell import WriteOnlyCell

    info = wb.create_sheet("Thông tin")
    info.column_dimensions["A"].width = 14
    info.column_dimensions["B"].width = 50
    info.append(["Danh sách", text_cell(info, title)])
    made = WriteOnlyCell(info, value=today)
    made.number_format = "DD/MM/YYYY"
    info.append(["Ngày lập", made])
    info.append(["Số hồ sơ", count])
    wb.properties.title = title
