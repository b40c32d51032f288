"""The cover page and the head of the summary (the photo box beside the title)."""

from __future__ import annotations

from docx.enum.table import WD_CELL_VERTICAL_ALIGNMENT, WD_ROW_HEIGHT_RULE
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.shared import Cm

from forms.document.page import Page, wording
from forms.document.word import (
    BODY_PT,
    DRAFT_MARK_PT,
    GREY,
    TEXT_WIDTH_CM,
    TITLE_PT,
    add_run,
    cell_borders,
    clean_text,
    fixed_widths,
    table_borders,
)

# Cover lines: the booklet's cover repeats three answers (labels come from the form).
COVER_FIELDS = ("ho_ten", "ngay_sinh", "que_quan")
PHOTO_W_CM, PHOTO_H_CM = 3.0, 4.0


class Cover:
    """The booklet's cover (code, title, three answers, the draft line) and, on the next
    page, the 3×4 cm photo box beside "TÓM TẮT LÝ LỊCH"."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.form = page.form
        self.dossier = page.dossier

    def write(self) -> None:
        center = WD_ALIGN_PARAGRAPH.CENTER
        self.page.para(("b", self.form.code), align=WD_ALIGN_PARAGRAPH.RIGHT, size=BODY_PT)
        self.page.para(("b", wording("cover.party")), align=center, before_pt=24, size=14)
        self.page.para(("", "*"), align=center, after_pt=96)
        self.page.para(("b", self.form.title), align=center, size=TITLE_PT, after_pt=12)
        if self.page.draft:
            self.page.para(("bg", wording("cover.draft")), align=center, size=DRAFT_MARK_PT)
            self.page.para(("ig", wording("cover.draft_note")), align=center, size=12, after_pt=36)
        else:
            self.page.para(("", ""), after_pt=72)
        for field_id in COVER_FIELDS:
            try:
                field = self.form.field(field_id)
            except KeyError:
                continue
            value = clean_text(self.dossier.value(field_id))
            self.page.dotted(("", f"{field.label}: "), ("b", value), indent_cm=1.0)
        self.page.dotted(("", wording("cover.number") + " "), indent_cm=1.0)
        self.page.para(("i", wording("cover.rules")), align=center, before_pt=120, size=12)
        self.page.page_break()

    def photo_box(self) -> None:
        table = self.page.add_table(1, 2)
        table_borders(table, "nil")
        fixed_widths(table, (PHOTO_W_CM, TEXT_WIDTH_CM - PHOTO_W_CM))
        row = table.rows[0]
        row.height = Cm(PHOTO_H_CM)
        row.height_rule = WD_ROW_HEIGHT_RULE.EXACTLY
        photo, title = row.cells
        cell_borders(photo)
        photo.vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.CENTER
        p = photo.paragraphs[0]
        p.alignment = WD_ALIGN_PARAGRAPH.CENTER
        add_run(p, wording("page.photo"), italic=True, size=11, color=GREY)
        title.vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.CENTER
        p = title.paragraphs[0]
        p.alignment = WD_ALIGN_PARAGRAPH.CENTER
        add_run(p, wording("page.summary"), bold=True, size=16)
        self.page.para(("", ""), after_pt=6)
