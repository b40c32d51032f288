"""Texts that sum something up: a part's header, the overview, the end summary, one line
per table row or relative."""

from __future__ import annotations

from forms.dossier import Row
from forms.model import ItemDef
from forms.texts import render
from handlers.candidate.core import Turn
from handlers.candidate.flags import open_flags
from handlers.candidate.structure import YES
from handlers.candidate.texts import display, short, t


def header(turn: Turn, item: ItemDef) -> str:
    """ "Phần 3/10 – Trình độ: 2/9 câu", above every question."""
    structure = turn.structure
    index = structure.section_index(item.number)
    done, total = turn.nav.section_progress(index)
    return t(
        "part_header",
        n=index + 1,
        of=len(structure.sections),
        title=structure.sections[index].title,
        done=done,
        total=total,
    )


def overview_text(turn: Turn, *, intro: bool = False) -> str:
    parts = []
    for i, section in enumerate(turn.structure.sections):
        done, total = turn.nav.section_progress(i)
        parts.append({"n": i + 1, "title": section.title, "done": done, "total": total})
    return render("chat/overview.j2", parts=parts, intro=intro)


def done_text(turn: Turn) -> str:
    flags = open_flags(turn)
    errors = sum(f.is_error for f in flags)
    warnings = sum(not f.is_error and not f.explanation for f in flags)
    status = turn.record.status if turn.record else "draft"
    return render("chat/done.j2", errors=errors, warnings=warnings, status=status)


def row_summary(turn: Turn, item: ItemDef, row: Row) -> str:
    parts = []
    for f in turn.structure.row_fields(item, row):
        value = display(f, row)
        if value:
            parts.append(value)
    return short(" · ".join(parts), 160) or t("loop.empty_row")


def relative_summary(turn: Turn, item: ItemDef, row: Row) -> str:
    structure = turn.structure
    code = row.get("quan_he", "")
    try:
        label = structure.relation(item, code).label
    except KeyError:
        label = code
    bits = [row.get("xung_ho") or label, row.get("ho_ten", "?")]
    if row.get("nam_sinh"):
        bits.append(t("born", year=row["nam_sinh"]))
    if row.get("da_mat") == YES:
        bits.append(t("deceased", year=row.get("nam_mat", "")))
    complete = structure.row_complete(item, row, code)
    return ", ".join(b for b in bits if b) + ("" if complete else f" ({t('loop.incomplete')})")
