"""The cover page and the head of the summary (the photo box beside the title)."""

from __future__ import annotations

from functools import cache

from docx.enum.text import WD_ALIGN_PARAGRAPH

from forms.document.page import Page, wording
from forms.document.word import (
    BODY_PT,
    CELL_END,
    DRAFT_MARK_PT,
    GREY,
    ROW_END,
    TABLE_END,
    TEXT_WIDTH_CM,
    TITLE_PT,
    cell_start,
    clean_text,
    paragraph,
    paragraph_properties,
    row_exactly,
    run,
    table_start,
)

# Cover lines after the title, as the booklet prints them (PrintableCV transcription): the
# labels of these fields, "Họ và tên thường dùng" after the first; "Số LL" at the foot.
COVER_FIELDS = ("ho_ten", "ngay_sinh", "que_quan")
USUAL_NAME_AFTER = "ho_ten"
PHOTO_W_CM, PHOTO_H_CM = 3.0, 4.0
HOW_TO_COPY_LINES = 4


class Cover:
    """The booklet's cover (code, party, the two-line title, name, birth date and hometown,
    the "Số LL" line; a draft's mark and its "how to copy" note) and the head of the
    summary page: the 3×4 cm photo box beside its title."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.form = page.form
        self.dossier = page.dossier

    def write(self) -> None:
        center = WD_ALIGN_PARAGRAPH.CENTER
        draft = self.page.draft
        self.page.para(("b", self.form.code), align=WD_ALIGN_PARAGRAPH.RIGHT, size=BODY_PT)
        self.page.para(("b", wording("cover.party")), align=center, before_pt=18, size=14)
        self.page.para(("", "*"), align=center, after_pt=36 if draft else 90)
        self.page.para(("b", wording("cover.title_1")), align=center, size=TITLE_PT + 8)
        self.page.para(("b", wording("cover.title_2")), align=center, size=TITLE_PT - 2)
        if draft:
            self.page.para(("bg", wording("cover.draft")), align=center, size=DRAFT_MARK_PT)
            self.page.para(("ig", wording("cover.draft_note")), align=center, size=12, after_pt=18)
        else:
            self.page.para(("", ""), after_pt=72)
        for field_id in COVER_FIELDS:
            try:
                field = self.form.field(field_id)
            except KeyError:
                continue
            value = clean_text(self.dossier.value(field_id))
            self.page.dotted(("", f"{field.label}: "), ("b", value), indent_cm=1.0)
            if field_id == USUAL_NAME_AFTER:
                self.page.dotted(
                    ("", f"{wording('cover.usual_name')}: "), ("b", value), indent_cm=1.0
                )
        self.page.dotted(("", wording("cover.number") + " "), indent_cm=8.0, before_pt=12)
        if draft:
            self.how_to_copy()
        else:
            self.page.para(("i", wording("cover.rules")), align=center, before_pt=120, size=12)

    def how_to_copy(self) -> None:
        """A short note on the draft's first page: how the draft maps onto the booklet."""
        self.page.para(
            ("b", wording("cover.how_to_copy_title")), before_pt=18, size=12, keep_next=True
        )
        for n in range(1, HOW_TO_COPY_LINES + 1):
            self.page.para(
                ("", f"– {wording(f'cover.how_to_copy_{n}')}"),
                indent_cm=0.4,
                size=11,
                after_pt=1,
                align=WD_ALIGN_PARAGRAPH.JUSTIFY,
            )

    def photo_box(self, title: str) -> None:
        self.page.raw(_photo_box(title))
        self.page.para(("", ""), after_pt=6)


@cache
def _photo_box(title: str) -> str:
    """The 3×4 cm photo box beside the part's title: a borderless table of one row of fixed
    height, the photo's cell boxed."""
    centre = paragraph_properties(WD_ALIGN_PARAGRAPH.CENTER)
    photo = paragraph(centre, run(wording("page.photo"), italic=True, size=11, color=GREY))
    head = paragraph(centre, run(title, bold=True, size=16))
    rest_cm = TEXT_WIDTH_CM - PHOTO_W_CM
    return (
        f"{table_start((PHOTO_W_CM, rest_cm), 'nil')}{row_exactly(PHOTO_H_CM)}"
        f"{cell_start(PHOTO_W_CM, boxed=True, centred=True)}{photo}{CELL_END}"
        f"{cell_start(rest_cm, centred=True)}{head}{CELL_END}{ROW_END}{TABLE_END}"
    )
