"""What only a draft carries after the booklet: the dossier facts outside it (certificate,
introducers) and the list of open flags with their explanations."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from docx.enum.text import WD_ALIGN_PARAGRAPH

from forms.document.items import Items
from forms.document.page import Page, wording
from forms.document.relatives import RELATION_DETAIL_FIELD
from forms.document.word import TEXT_WIDTH_CM, clean_text
from forms.dossier import Dossier
from forms.model import FormDef


class DraftExtras:
    """The appendix and the flag list of a draft."""

    def __init__(self, page: Page, items: Items) -> None:
        self.page = page
        self.form = page.form
        self.dossier = page.dossier
        self.items = items

    def appendix(self) -> None:
        """Dossier facts outside the booklet (certificate, introducers), for the reviewers."""
        extra = self.form.extra
        if extra is None:
            return
        self.page.para(
            ("b", extra.title.upper()), align=WD_ALIGN_PARAGRAPH.CENTER, size=14, after_pt=8
        )
        for item in extra.items:
            self.items.item(item)

    def overflows(self) -> None:
        """The parts longer than the booklet's lines, again in the checklist."""
        if not self.items.overflows:
            return
        self.page.para(("b", wording("booklet.overflow_heading")), before_pt=12, keep_next=True)
        for overflow in self.items.overflows:
            self.page.para(("", f"– {overflow.text()}"), indent_cm=0.4, size=12)

    def flags(self, flags: Iterable[Any]) -> None:
        flags = list(flags)
        if self.form.extra is not None:
            self.page.page_break()
        self.page.para(
            ("b", wording("flags.heading")), align=WD_ALIGN_PARAGRAPH.CENTER, size=14, after_pt=6
        )
        if not flags:
            self.page.para(("i", wording("flags.none")))
            return
        self.page.para(("i", wording("flags.intro")), align=WD_ALIGN_PARAGRAPH.JUSTIFY, size=12)
        headers = [wording(f"flags.col_{k}") for k in ("rule", "item", "severity", "message")]
        rows = [self.flag_row(flag) for flag in flags]
        self.page.grid(headers, rows, (1.5, 3.3, 2.2, TEXT_WIDTH_CM - 7.0))

    def flag_row(self, flag: Any) -> list[str]:
        severity = str(_attr(flag, "severity", "") or "")
        severity_text = {"error": wording("flags.error"), "warning": wording("flags.warning")}.get(
            severity, clean_text(severity)
        )
        where = self.flag_item(_attr(flag, "item", None))
        row = describe_row(self.form, self.dossier, _attr(flag, "table"), _attr(flag, "row"))
        if row:
            where = f"{where}, {row}" if where else row
        text = clean_text(_attr(flag, "message", ""))
        explanation = clean_text(_attr(flag, "explanation", None) or "")
        key = _attr(flag, "key", None)
        if not explanation and key:
            explanation = clean_text(self.dossier.explanations.get(str(key), ""))
        if explanation:
            text = f"{text}\n{wording('flags.explanation')}{explanation}"
        return [clean_text(_attr(flag, "rule", "")), where, severity_text, text]

    def flag_item(self, item: Any) -> str:
        if isinstance(item, int):
            try:
                it = self.form.item(item)
            except KeyError:
                return f"({item})"
            return it.ref or it.label
        return clean_text(item or "")


def describe_row(form: FormDef, dossier: Dossier, table: Any, row: Any) -> str:
    """Which row a flag points at, for people: "giai đoạn thứ 3", "Ông nội LÊ VĂN CHÂU"."""
    if not isinstance(row, int) or isinstance(row, bool):
        return ""
    if table == "relatives" and 0 <= row < len(dossier.relatives):
        person = dossier.relatives[row]
        try:
            label = form.relatives().relation(person.get("quan_he", "")).label
        except KeyError:
            label = person.get("quan_he", "")
        label = person.get(RELATION_DETAIL_FIELD) or label  # "Em gái" says more
        return clean_text(f"{label} {person.get('ho_ten', '')}")
    try:
        label = form.table(str(table)).row_label
    except KeyError:
        label = wording("flags.row_label")
    return wording("flags.row", label=label, n=row + 1)


def _attr(flag: Any, name: str, default: Any = None) -> Any:
    """A flag's attribute, whether the flag is an object (rule engine) or a dict (JSON)."""
    if isinstance(flag, Mapping):
        return flag.get(name, default)
    return getattr(flag, name, default)
