"""The closing items: the pledge and signature of (23), and the empty ruled blocks the
reviewers fill in by hand, (24)–(26)."""

from __future__ import annotations

from docx.enum.text import WD_ALIGN_PARAGRAPH

from forms.document.page import Page, split_date, wording
from forms.document.word import clean_text
from forms.model import FieldDef, ItemDef, Kind
from forms.texts import has_message

# Dotted lines per part of (24)–(26): one booklet-like page each in the draft (the booklet
# itself gives (24) nine pages, which its "Trang" numbers show).
REVIEWER_LINES = {"part_a": 10, "part_b": 7, "": 13}
SIGN_INDENT_CM = 6.0  # signature blocks sit in the right part of the page


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
        self.page.para(
            ("i", signed), align=right, indent_cm=SIGN_INDENT_CM, before_pt=12, keep_next=True
        )
        self.page.para(
            ("b", wording("pledge.signer")),
            align=right,
            indent_cm=SIGN_INDENT_CM,
            after_pt=0,
            keep_next=True,
            measure=False,  # the booklet's signature block, not ruled lines
        )
        self.page.para(
            ("i", wording("pledge.signer_hint")),
            align=right,
            indent_cm=SIGN_INDENT_CM,
            after_pt=54,
            size=12,
            keep_next=True,
            measure=False,
        )
        name = clean_text(self.dossier.value(name_f.id)) if name_f else ""
        self.page.para(
            ("b", name or self.page.missing), align=right, indent_cm=SIGN_INDENT_CM, measure=False
        )


class ReviewerBlocks:
    """Items (24)–(26): left empty for the reviewers, worded as HD 38 point 1.4.2. Each starts
    its booklet page; heading, lines, date, "T/M" line and signature are kept on one page."""

    def __init__(self, page: Page) -> None:
        self.page = page

    def write(self, item: ItemDef, pages: str = "") -> None:
        """Ruled lines for the reviewers, then the date, the "T/M" (on behalf of) line and
        what the signer writes; an item with two parts ((24): a) the verifying party unit,
        b) the higher-level committee's organising office or standing body) gets both."""
        self.page.para(*self.page.heading_parts(item), before_pt=4, keep_next=True, measure=False)
        if self.page.draft:
            hint = (
                wording("items.reviewer_pages", pages=pages)
                if pages
                else wording("items.reviewer_hint")
            )
            self.page.para(("ig", hint), size=12, keep_next=True, measure=False)
        key = f"reviewer.{item.fields[0].id}" if item.fields else "reviewer"
        parts = [p for p in ("part_a", "part_b") if has_message(f"document.{key}.{p}")]
        for part in parts or [""]:
            if part:
                self.page.para(
                    ("i", wording(f"{key}.{part}")), before_pt=6, keep_next=True, measure=False
                )
            for _ in range(REVIEWER_LINES[part]):
                self.page.dotted(("", ""), keep_next=True, measure=False)
            self.signature(key)

    def signature(self, key: str) -> None:
        center = WD_ALIGN_PARAGRAPH.CENTER
        for style, text, before, after in (
            ("i", wording("reviewer.date_line"), 6, None),
            ("b", wording("reviewer.on_behalf"), 2, 0),
        ):
            self.page.para(
                (style, text),
                align=center,
                indent_cm=SIGN_INDENT_CM,
                before_pt=before,
                after_pt=after,
                keep_next=True,
                measure=False,
            )
        if has_message(f"document.{key}.sign"):
            self.page.para(
                ("i", wording(f"{key}.sign")),
                align=center,
                indent_cm=SIGN_INDENT_CM,
                after_pt=48,
                size=12,
                measure=False,
            )
