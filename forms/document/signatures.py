"""The closing items: the pledge and signature of (23), and the empty ruled blocks the
reviewers fill in by hand, (24)–(26)."""

from __future__ import annotations

from docx.enum.text import WD_ALIGN_PARAGRAPH

from forms.document.page import Page, split_date, wording
from forms.document.word import clean_text
from forms.model import FieldDef, ItemDef, Kind
from forms.texts import has_message

REVIEWER_LINES = 8


class Pledge:
    """Item (23): the pledge sentence, then place, date, the signer and the name."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.form = page.form
        self.dossier = page.dossier

    def write(self, item: ItemDef) -> None:
        self.page.heading(item)
        self.page.para(
            ("", self.form.pledge + "."),
            align=WD_ALIGN_PARAGRAPH.JUSTIFY,
            first_line_cm=1.0,
            keep_next=True,
        )
        by_kind: dict[Kind, FieldDef] = {}
        others: list[FieldDef] = []
        for field in item.fields:
            if field.kind is Kind.PLEDGE:
                continue
            if field.kind in (Kind.TEXT, Kind.DATE, Kind.NAME) and field.kind not in by_kind:
                by_kind[field.kind] = field
            else:
                others.append(field)
        for field in others:
            raw = self.dossier.value(field.id)
            self.page.para(
                ("", f"– {field.label}: "), ("", self.page.value(field, raw)), indent_cm=0.6
            )
        place_f, date_f, name_f = (by_kind.get(k) for k in (Kind.TEXT, Kind.DATE, Kind.NAME))
        place = clean_text(self.dossier.value(place_f.id)) if place_f else ""
        raw_date = clean_text(self.dossier.value(date_f.id)) if date_f else ""
        date_parts = split_date(raw_date)
        if date_parts or not raw_date:
            day, month, year = date_parts or ("…", "…", "…")
            signed = wording(
                "pledge.place_date", place=place or "……", day=day, month=month, year=year
            )
        else:  # not a dd/mm/yyyy date: shown as written rather than lost
            signed = wording("pledge.place_raw_date", place=place or "……", date=raw_date)
        # the signature block stays on one page
        right = WD_ALIGN_PARAGRAPH.CENTER
        self.page.para(("i", signed), align=right, indent_cm=7.0, before_pt=12, keep_next=True)
        self.page.para(
            ("b", wording("pledge.signer")), align=right, indent_cm=7.0, after_pt=0, keep_next=True
        )
        self.page.para(
            ("i", wording("pledge.signer_hint")),
            align=right,
            indent_cm=7.0,
            after_pt=54,
            size=12,
            keep_next=True,
        )
        name = clean_text(self.dossier.value(name_f.id)) if name_f else ""
        self.page.para(("b", name or self.page.missing), align=right, indent_cm=7.0)


class ReviewerBlocks:
    """Items (24)–(26): left empty for the reviewers."""

    def __init__(self, page: Page) -> None:
        self.page = page

    def write(self, item: ItemDef) -> None:
        """Ruled lines for the reviewers, then the date and signature (and seal) line; an
        item with two parts ((24): the verifying unit, the higher-level committee) gets
        both, each with its own lines and signature."""
        self.page.heading(item)
        if self.page.draft:
            self.page.para(("ig", wording("items.reviewer_hint")), size=12)
        key = f"reviewer.{item.fields[0].id}" if item.fields else "reviewer"
        parts = [p for p in ("part_a", "part_b") if has_message(f"document.{key}.{p}")]
        lines = REVIEWER_LINES // max(len(parts), 1)
        for part in parts or [""]:
            if part:
                self.page.para(("i", wording(f"{key}.{part}")), before_pt=4, keep_next=True)
            for _ in range(lines):
                self.page.dotted(("", ""))
            self.page.para(
                ("i", wording("reviewer.date_line")),
                align=WD_ALIGN_PARAGRAPH.CENTER,
                indent_cm=7.0,
                before_pt=6,
                keep_next=True,
            )
            if has_message(f"document.{key}.sign"):
                self.page.para(
                    ("i", wording(f"{key}.sign")),
                    align=WD_ALIGN_PARAGRAPH.CENTER,
                    indent_cm=7.0,
                    after_pt=42,
                    size=12,
                )
