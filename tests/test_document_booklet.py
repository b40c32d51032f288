"""The draft as the booklet a candidate copies from (issue 15), read back from the .docx: the
page map (each part a section numbered from its booklet page), (21) per person, the note
where the text is longer than the booklet's lines, the cover, the file's properties."""

from __future__ import annotations

import io
import zipfile
from datetime import UTC, datetime, timedelta

from docx import Document
from docx.oxml.ns import qn
from docx.text.paragraph import Paragraph
from lxml import etree

from forms.checks import run_checks
from forms.definition import load_form
from forms.document import render_dossier
from forms.document.relatives import by_period
from tests.samples import load_sample

FORM = load_form()
BOOKLET = FORM.booklet
W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


def _sections(data: bytes) -> list[tuple[int | None, list[str]]]:
    """(the page number a section starts from, its paragraphs' texts), in order."""
    doc = Document(io.BytesIO(data))
    out: list[tuple[int | None, list[str]]] = []
    texts: list[str] = []
    for p in doc.element.body.iter(qn("w:p")):
        texts.append(Paragraph(p, doc).text)
        sect_pr = p.find(f"{W}pPr/{W}sectPr")
        if sect_pr is not None:
            out.append((_start(sect_pr), texts))
            texts = []
    out.append((_start(doc.element.body.sectPr), texts))
    return out


def _start(sect_pr) -> int | None:
    el = sect_pr.find(f"{W}pgNumType")
    return int(el.get(f"{W}start")) if el is not None else None


def test_each_part_starts_a_section_numbered_from_its_booklet_page() -> None:
    for draft in (True, False):
        sections = _sections(render_dossier(load_sample("b"), draft=draft, flags=[]))
        cover, *booklet = sections
        assert cover[0] is None and "LÝ LỊCH" in cover[1]
        if draft:  # the checklist and the appendix: after the booklet, unnumbered
            *booklet, tail = booklet
            assert tail[0] is None and "NHỮNG ĐIỂM CẦN XEM LẠI" in tail[1]
        assert [start for start, _ in booklet] == [p.page for p in BOOKLET.parts]
        for (_, texts), part in zip(booklet, BOOKLET.parts, strict=True):
            starts = [int(t[1 : t.index(")")]) for t in texts if t[:1] == "(" and ") " in t[:5]]
            assert starts == list(part.items), part


def test_the_page_map_covers_every_item_once_in_order() -> None:
    numbers = [n for part in BOOKLET.parts for n in part.items]
    assert numbers == list(range(1, 27))
    assert BOOKLET.part_of(14).page == 9 and BOOKLET.part_of(21).page == 17
    assert BOOKLET.part_of(26).last_page == 52


def _family(data: bytes) -> list[str]:
    texts = next(t for start, t in _sections(data) if start == BOOKLET.part_of(21).page)
    return [t for t in texts if t.strip()]


def test_family_is_a_heading_line_and_one_labelled_line_per_fact() -> None:
    dossier = load_sample("b")
    lines = _family(render_dossier(dossier, draft=False))
    rel_def = FORM.relatives()
    for row in dossier.relatives:
        relation = rel_def.relation(row["quan_he"])
        head = next(i for i, t in enumerate(lines) if t.endswith(f": {row['ho_ten']}"))
        end = next(
            (i for i in range(head + 1, len(lines)) if not lines[i].startswith(("– ", "+ "))),
            len(lines),
        )
        facts = lines[head + 1 : end]
        assert facts and all(f.startswith(("– ", "+ ")) for f in facts), row["ho_ten"]
        assert f"– Năm sinh: {row['nam_sinh']}" in facts
        if relation.group in "AB":  # the 2025 booklet asks these of grandparents and parents
            for label, key in (("Quốc tịch", "quoc_tich"), ("Dân tộc", "dan_toc")):
                assert f"– {label}: {row[key]}" in facts
            assert f"– Tôn giáo: {row['ton_giao']}" in facts
        if relation.group == "B" and row.get("lich_su_chinh_tri"):
            periods = by_period(row["lich_su_chinh_tri"])
            assert len(periods) >= 2
            assert [f for f in facts if f.startswith("+ ")] == [f"+ {p}" for p in periods]
        if relation.group == "C":
            assert f"– Tiền án: {row['tien_an']}" in facts


def test_relatives_are_asked_the_facts_of_their_group() -> None:
    rel_def = FORM.relatives()
    for group in "AB":
        ids = {f.id for f in rel_def.fields_for(group)}
        assert {"quoc_tich", "dan_toc", "ton_giao"} <= ids
    assert {"quoc_tich", "tien_an", "hoan_canh_kinh_te"} <= {f.id for f in rel_def.fields_for("C")}
    assert "dan_toc" not in {f.id for f in rel_def.fields_for("C")}


def test_a_text_longer_than_the_booklet_says_so_in_the_draft_only() -> None:
    dossier = load_sample("a")
    clean = render_dossier(dossier, draft=True, flags=[])
    assert not any(t.startswith("Lưu ý") for _, texts in _sections(clean) for t in texts)
    dossier.answers["dac_diem_lich_su"] = "Không bị bắt, bị tù. " * 120  # ~2 500 characters
    sections = _sections(render_dossier(dossier, draft=True, flags=[]))
    ((_, p16),) = [s for s in sections if s[0] == 14]
    (note,) = [t for t in p16 if t.startswith("Lưu ý khi chép: mục (16)")]
    assert "quyển lý lịch có 25 dòng (trang 14)" in note
    assert any(note in t for t in sections[-1][1])  # repeated in the checklist
    final = _sections(render_dossier(dossier, draft=False))
    assert not any(t.startswith("Lưu ý") for _, texts in final for t in texts)


def test_the_draft_cover_says_how_to_copy() -> None:
    (_, cover), *_ = _sections(render_dossier(load_sample("a"), draft=True, flags=[]))
    assert "Cách chép bản nháp vào quyển lý lịch" in cover
    assert any("«Trang …» ở chân mỗi trang là số trang của quyển" in t for t in cover)
    (_, final_cover), *_ = _sections(render_dossier(load_sample("a"), draft=False))
    assert "Cách chép bản nháp vào quyển lý lịch" not in final_cover


def test_summary_lines_as_the_booklet_prints_them() -> None:
    dossier = load_sample("b")
    (_, summary) = _sections(render_dossier(dossier, draft=False))[1]
    (birth,) = [t for t in summary if t.startswith("(3) Sinh ngày")]
    assert birth.split("\t")[1].startswith("Số căn cước:")
    assert f"(8) Dân tộc: {dossier.value('dan_toc')}\tQuốc tịch: Việt Nam" in summary
    assert (
        "(12) Ngày và nơi kết nạp vào Đoàn TNCS Hồ Chí Minh: {}, {}".format(
            dossier.value("ngay_vao_doan"), dossier.value("noi_vao_doan")
        )
        in summary
    )


def _xml(data: bytes, name: str):
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        return etree.fromstring(zf.read(name)), zf.namelist()


def test_file_properties_are_this_booklets() -> None:
    before = datetime.now(UTC).replace(microsecond=0)
    data = render_dossier(load_sample("a"), draft=False)
    props = Document(io.BytesIO(data)).core_properties
    assert props.title == FORM.title
    assert props.subject == load_sample("a").value("ho_ten")
    created = props.created.replace(tzinfo=UTC)
    assert before - timedelta(seconds=1) <= created <= datetime.now(UTC)
    assert props.modified.replace(tzinfo=UTC) == created
    app, names = _xml(data, "docProps/app.xml")
    assert not any("thumbnail" in n for n in names)
    assert b"Macintosh" not in etree.tostring(app)
    settings, _ = _xml(data, "word/settings.xml")
    (mode,) = [
        el.get(f"{W}val")
        for el in settings.iter(f"{W}compatSetting")
        if el.get(f"{W}name") == "compatibilityMode"
    ]
    assert mode == "15"


#: CT_TblPr's children in schema order (ECMA-376 part 1, 17.4.60).
TBL_PR_ORDER = [
    f"{W}{t}"
    for t in (
        "tblStyle", "tblpPr", "tblOverlap", "bidiVisual", "tblStyleRowBandSize",
        "tblStyleColBandSize", "tblW", "jc", "tblCellSpacing", "tblInd", "tblBorders", "shd",
        "tblLayout", "tblCellMar", "tblLook", "tblCaption", "tblDescription",
    )
]  # fmt: skip


def test_table_properties_are_in_schema_order() -> None:
    document, _ = _xml(render_dossier(load_sample("b"), draft=True, flags=[]), "word/document.xml")
    tbl_prs = list(document.iter(f"{W}tblPr"))
    assert len(tbl_prs) >= 5  # photo box, (15), (17), (19), the flags
    for tbl_pr in tbl_prs:
        order = [TBL_PR_ORDER.index(child.tag) for child in tbl_pr]
        assert order == sorted(order), [c.tag for c in tbl_pr]


def test_column_widths_follow_the_booklet() -> None:
    doc = Document(io.BytesIO(render_dossier(load_sample("a"), draft=False)))
    by_header = {tuple(c.text for c in t.rows[0].cells): t for t in doc.tables}
    rewards = by_header[FORM.table("khen_thuong").headers]
    widths = [int(c.get(f"{W}w")) for c in rewards._tbl.tblGrid.iterchildren(f"{W}gridCol")]
    assert widths[1] > 3 * widths[0]  # the reason, not the month, takes the width
    assert FORM.table("khen_thuong").headers == ("Tháng, năm", "Lý do, hình thức", "Cấp quyết định")


def test_emoji_in_a_relatives_fact_is_flagged_in_vietnamese() -> None:
    dossier = load_sample("a")
    dossier.relatives[4]["nghe_nghiep"] = "nông dân 🌾"
    (flag,) = [f for f in run_checks(dossier) if f.rule == "F20"]
    assert flag.is_error and flag.row == 4 and "🌾" in flag.message
    assert "Lý lịch chỉ ghi chữ và số" in flag.message
