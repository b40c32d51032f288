"""The booklet-shaped .docx: read back with python-docx and compared with the dossier."""

from __future__ import annotations

import io
import re
import zipfile
from types import SimpleNamespace

import pytest
from docx import Document
from docx.oxml.ns import qn
from docx.text.paragraph import Paragraph
from lxml import etree

from forms.checks import run_checks
from forms.definition import load_form
from forms.document import clean_text, render_dossier
from forms.document.relatives import by_period
from forms.dossier import Dossier
from forms.model import Kind
from tests.samples import load_sample

FORM = load_form()
W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


def _open(data: bytes):
    return Document(io.BytesIO(data))


def _body_text(doc) -> str:
    """Every paragraph of the body, inside tables too; a <w:br/> reads as a newline."""
    return "\n".join(Paragraph(p, doc).text for p in doc.element.body.iter(qn("w:p")))


def _header_text(doc) -> str:
    parts = []
    for section in doc.sections:
        for header in (section.header, section.first_page_header, section.even_page_header):
            parts.extend(p.text for p in header.paragraphs)
    return "\n".join(parts)


def _found(field_kind: Kind, value: str, text: str) -> bool:
    value = clean_text(value)
    if value in text:
        return True
    if field_kind is Kind.LONG_TEXT:  # a history is written one period a line
        return all(period in text for period in by_period(value))
    if field_kind is Kind.YES_NO:  # a label, lower-cased inside a sentence
        return value.casefold() in text.casefold()
    # a date may be written into its label: "Sinh ngày 12 tháng 07 năm 2001"
    match = re.fullmatch(r"(\d{2})/(\d{2})/(\d{4})", value)
    return bool(
        field_kind is Kind.DATE and match and "{} tháng {} năm {}".format(*match.groups()) in text
    )


def _expected(dossier: Dossier, *, draft: bool):
    """(where, kind, value) for every answered value the booklet (and a draft) must show."""
    for item in FORM.items():
        if item.reviewer_only or (not item.numbered and not draft):
            continue
        for field in item.fields:
            value = dossier.value(field.id)
            # yes/no gates of (21) steer the questions; the booklet shows the relatives
            if value and not (item.relatives and field.kind is Kind.YES_NO):
                yield f"{item.ref or item.number} {field.id}", field.kind, value
        if item.table:
            for i, row in enumerate(dossier.rows(item.table.id)):
                for column in item.table.columns:
                    for key in column.storage_keys():
                        if row.get(key):
                            yield f"{item.table.id}[{i}].{key}", column.kind, row[key]
    rel_def = FORM.relatives()
    for i, row in enumerate(dossier.relatives):
        group = rel_def.relation(row["quan_he"]).group
        for field in rel_def.fields_for(group):
            value = row.get(field.id, "")
            if value and field.kind is not Kind.YES_NO:
                yield f"relatives[{i}].{field.id}", field.kind, value
            elif value == "có":  # a "yes" fact prints as its label ("đã mất", "là đảng viên")
                yield f"relatives[{i}].{field.id}", field.kind, field.label


@pytest.mark.parametrize("name", ["a", "b", "c"])
@pytest.mark.parametrize("draft", [True, False])
def test_every_answered_value_is_in_the_document(name: str, draft: bool) -> None:
    dossier = load_sample(name)
    text = _body_text(_open(render_dossier(dossier, draft=draft, flags=[])))
    expected = list(_expected(dossier, draft=draft))
    assert len(expected) > 100  # the samples are complete dossiers
    missing = [(where, v) for where, kind, v in expected if not _found(kind, v, text)]
    assert missing == []


def test_extras_are_only_in_the_draft() -> None:
    dossier = load_sample("a")
    introducer = dossier.rows("gioi_thieu")[0]["ten"]
    draft = _body_text(_open(render_dossier(dossier, draft=True, flags=[])))
    final = _body_text(_open(render_dossier(dossier, draft=False)))
    assert introducer in draft
    assert introducer not in final
    assert FORM.extra.title.upper() in draft


def test_items_are_in_booklet_order_with_their_numbers() -> None:
    text = _body_text(_open(render_dossier(load_sample("b"), draft=False)))
    positions = []
    for item in FORM.items():
        if item.numbered:
            label = item.label if item.number != 3 else "Sinh ngày"
            pos = text.find(f"{item.ref} {label}")
            assert pos >= 0, item.number
            positions.append(pos)
    assert positions == sorted(positions)
    assert len(positions) == 26


def test_cover_repeats_name_birth_date_hometown_and_leaves_the_number_blank() -> None:
    dossier = load_sample("a")
    doc = _open(render_dossier(dossier, draft=False))
    cover: list[str] = []
    for p in doc.element.body.iter(qn("w:p")):
        cover.append(Paragraph(p, doc).text)
        if p.find(f"{W}pPr/{W}sectPr") is not None:  # the cover is the first section
            break
    cover_text = "\n".join(cover)
    assert "ĐẢNG CỘNG SẢN VIỆT NAM" in cover_text
    assert [line for line in cover if line in ("LÝ LỊCH", "CỦA NGƯỜI XIN VÀO ĐẢNG")] == [
        "LÝ LỊCH",
        "CỦA NGƯỜI XIN VÀO ĐẢNG",
    ]  # the booklet's two-line title
    assert FORM.code in cover_text
    for field_id in ("ho_ten", "ngay_sinh", "que_quan"):
        assert f"{FORM.field(field_id).label}: {dossier.value(field_id)}" in cover_text
    assert f"Họ và tên thường dùng: {dossier.value('ho_ten')}" in cover_text
    number_line = next(line for line in cover if line.startswith("Số LL"))
    assert number_line.replace("\t", "").strip() == "Số LL:"  # HD 38 II.1.2: filled later


def test_photo_box_is_three_by_four_centimetres() -> None:
    doc = _open(render_dossier(load_sample("a"), draft=False))
    photo = next(
        cell for table in doc.tables for cell in table._cells if cell.text.startswith("Ảnh 3×4")
    )
    tc = photo._tc
    assert tc.find(f"{W}tcPr/{W}tcBorders/{W}top").get(f"{W}val") == "single"
    assert abs(int(tc.find(f"{W}tcPr/{W}tcW").get(f"{W}w")) - 1701) <= 2  # 3 cm in twips
    tr_height = tc.getparent().find(f"{W}trPr/{W}trHeight")
    assert tr_height.get(f"{W}hRule") == "exact"
    assert abs(int(tr_height.get(f"{W}val")) - 2268) <= 2  # 4 cm


def test_tables_have_the_booklet_headers_and_periods() -> None:
    dossier = load_sample("a")
    doc = _open(render_dossier(dossier, draft=False))
    by_header = {tuple(c.text for c in t.rows[0].cells): t for t in doc.tables}
    for item, table_def in FORM.tables():
        if not item.numbered or table_def.id == "lich_su" or not dossier.rows(table_def.id):
            continue
        table = by_header[table_def.headers]
        rows = dossier.rows(table_def.id)
        assert len(table.rows) == 1 + len(rows)
        first = table.rows[1].cells[0].text
        if table_def.columns[0].kind is Kind.PERIOD:
            assert first == f"{rows[0]['tu']} – {rows[0]['den']}"
    # the job table ends "… – nay"
    jobs = by_header[FORM.table("cong_tac").headers]
    assert jobs.rows[-1].cells[0].text.endswith("– nay")
    # item (14) is dated paragraphs, not a table
    text = _body_text(doc)
    first = dossier.rows("lich_su")[0]
    assert f"Từ {first['tu']} đến {first['den']}: {first['noi_dung']}" in text


def test_unanswered_optional_items_read_khong() -> None:
    dossier = load_sample("a")
    assert not dossier.value("ngay_vao_dang_lan_dau") and not dossier.rows("ky_luat")
    assert not dossier.value("ten_khac") and not dossier.value("tam_tru")
    paragraphs = _body_text(_open(render_dossier(dossier, draft=False))).split("\n")
    # (13) as the booklet's three lines, each "không"
    start = paragraphs.index(f"(13) {FORM.item(13).label}:")
    assert paragraphs[start + 1 : start + 4] == [
        "– Ngày và nơi kết nạp vào Đảng Cộng sản Việt Nam lần thứ nhất: không",
        "– Ngày và nơi công nhận chính thức lần thứ nhất: không",
        "– Người giới thiệu vào Đảng lần thứ nhất: không",
    ]
    assert f"(20) {FORM.item(20).label}: không" in paragraphs
    assert f"(2) {FORM.item(2).label}: không" in paragraphs  # like every empty line
    assert "– Nơi tạm trú: không" in paragraphs  # (7) prints both residence lines


def test_relatives_are_grouped_in_booklet_order() -> None:
    dossier = load_sample("b")
    text = _body_text(_open(render_dossier(dossier, draft=False)))
    headings = [  # sample B is a woman: her spouse's side is "chồng"
        "Ông, bà nội và ông, bà ngoại của bản thân",
        "Ông, bà nội và ông, bà ngoại của chồng",
        "Cha, mẹ đẻ",
        "Chồng và cha, mẹ chồng",
        "Anh, chị, em ruột của bản thân",
        "Anh, chị, em ruột của chồng",
        "Các con",
    ]
    positions = [text.find(h) for h in headings]
    assert -1 not in positions and positions == sorted(positions)
    rel_def = FORM.relatives()
    for row in dossier.relatives:
        relation = rel_def.relation(row["quan_he"])
        pos = text.find(row["ho_ten"])
        group = {"A": 0, "B": 2, "C": 4}[relation.group]
        group += {"self": 0, "spouse": 1, "own": 1 if relation.group == "B" else 2}[relation.side]
        assert positions[group] < pos, row["ho_ten"]
        if group + 1 < len(positions):
            assert pos < positions[group + 1], row["ho_ten"]


def test_the_person_who_raised_the_candidate_is_rendered_with_the_parents() -> None:
    from tests.test_candidate_followups import raised_by_an_uncle

    text = _body_text(_open(render_dossier(raised_by_an_uncle(), draft=False)))
    heading = text.find("Cha, mẹ đẻ (hoặc người nuôi dưỡng từ nhỏ)")
    person = text.find("Người nuôi dưỡng: TRẦN VĂN BÌNH")
    assert -1 < heading < person
    assert "Người thân khác" not in text
    assert "Thành phần giai cấp: bần nông" in text[person:]  # the parents' facts (group B)


def test_deceased_and_party_member_facts() -> None:
    dossier = load_sample("a")
    text = _body_text(_open(render_dossier(dossier, draft=False)))
    dead = next(r for r in dossier.relatives if r.get("da_mat") == "có")
    block = text[text.find(dead["ho_ten"]) :][:600]
    for key in ("nam_mat", "nguyen_nhan_mat", "noi_mat"):
        assert dead[key] in block
    member = next(r for r in dossier.relatives if r.get("la_dang_vien") == "có")
    block = text[text.find(member["ho_ten"]) :][:1500]
    for key in ("ngay_vao_dang", "chi_bo_dang", "noi_luu_ho_so"):
        assert member[key] in block
    # a living person gets no death facts
    alive = next(r for r in dossier.relatives if r.get("da_mat") == "không")
    start = text.find(alive["ho_ten"])
    block = text[start : text.find("\n", text.find("\n", start) + 1)]
    assert "năm mất" not in block.lower()


def test_pledge_place_date_and_signature() -> None:
    dossier = load_sample("a")
    text = _body_text(_open(render_dossier(dossier, draft=False)))
    day, month, year = dossier.value("ngay_ky").split("/")
    assert FORM.pledge in text
    assert f"{dossier.value('noi_ky')}, ngày {day} tháng {month} năm {year}" in text
    after = text[text.find("Người khai ký tên") :]
    assert dossier.value("ky_ten") in after
    for number in (24, 25, 26):
        assert f"({number}) {FORM.item(number).label}" in after


FAKE_FLAGS = [
    SimpleNamespace(
        rule="F1",
        severity="error",
        item=1,
        field="ho_ten",
        table=None,
        row=None,
        message="Họ và tên phải viết bằng chữ in hoa có dấu.",
        key="F1:ho_ten",
        explanation=None,
    ),
    SimpleNamespace(
        rule="X14",
        severity="warning",
        item=21,
        field=None,
        table="relatives",
        row=14,
        message="Người thân ở nước ngoài: chi bộ cần thẩm tra qua cơ quan đại diện.",
        key="X14:relatives:14",
        explanation="Em chồng đi lao động hợp tác có thời hạn.",
    ),
    SimpleNamespace(
        rule="X4",
        severity="error",
        item=14,
        field=None,
        table="lich_su",
        row=2,
        message="Mục (14): thiếu một giai đoạn.",
        key="X4:lich_su:2",
        explanation=None,
    ),
]


def test_draft_has_mark_and_open_flags_final_has_neither() -> None:
    dossier = load_sample("b")
    draft = _open(render_dossier(dossier, draft=True, flags=FAKE_FLAGS))
    body, header = _body_text(draft), _header_text(draft)
    assert "BẢN NHÁP" in header
    assert "BẢN NHÁP" in body  # the cover line
    assert "NHỮNG ĐIỂM CẦN XEM LẠI" in body
    flag_table = draft.tables[-1]
    rows = [[c.text for c in r.cells] for r in flag_table.rows[1:]]
    assert [r[0] for r in rows] == ["F1", "X14", "X4"]
    assert rows[2][1] == "(14), giai đoạn thứ 3"
    relative = dossier.relatives[14]
    assert rows[0][1] == "(1)"
    assert rows[1][1] == f"(21), {relative.get('xung_ho')} {relative['ho_ten']}"
    assert rows[0][2] == "Lỗi" and rows[1][2] == "Cảnh báo"
    assert FAKE_FLAGS[0].message in rows[0][3]
    assert FAKE_FLAGS[1].explanation in rows[1][3]

    final = _open(render_dossier(dossier, draft=False, flags=FAKE_FLAGS))
    everything = _body_text(final) + _header_text(final)
    assert "BẢN NHÁP" not in everything
    assert "NHỮNG ĐIỂM CẦN XEM LẠI" not in everything
    assert FAKE_FLAGS[0].message not in everything


def test_flags_may_be_plain_dicts() -> None:
    flags = [vars(flag) for flag in FAKE_FLAGS]  # e.g. read back from `check --json`
    doc = _open(render_dossier(load_sample("b"), draft=True, flags=flags))
    rows = [[c.text for c in r.cells] for r in doc.tables[-1].rows[1:]]
    assert [r[0] for r in rows] == ["F1", "X14", "X4"]
    assert FAKE_FLAGS[1].explanation in rows[1][3]


def test_explanation_comes_from_the_dossier_when_the_flag_has_none() -> None:
    dossier = load_sample("a")
    dossier.explanations["F1:ho_ten"] = "Đã đối chiếu giấy khai sinh."
    body = _body_text(_open(render_dossier(dossier, draft=True, flags=FAKE_FLAGS[:1])))
    assert "Giải trình: Đã đối chiếu giấy khai sinh." in body


def test_draft_without_flags_says_so() -> None:
    body = _body_text(_open(render_dossier(load_sample("a"), draft=True, flags=[])))
    assert "Không còn điểm nào cần xem lại." in body


def test_draft_computes_flags_when_none_are_given() -> None:
    dossier = load_sample("c")
    flags = run_checks(dossier)
    assert flags
    body = _body_text(_open(render_dossier(dossier, draft=True)))
    for flag in flags:
        assert clean_text(flag.message) in body


HOSTILE = (
    "Chữ ký 😀👍🏽 <b>&amp; \"quote\" 'x' & < >"
    + "".join(chr(c) for c in range(32))
    + "\ud800 lone surrogate \ufffe\uffff"
)


def _hostile_dossier() -> Dossier:
    dossier = load_sample("b")
    long_text = ("Dòng dài có ký tự đặc biệt <&> 🙂. " * 300)[:10_000]
    dossier.answers["tu_nhan_xet"] = long_text + "\r\nDòng hai\rDòng ba\n" + HOSTILE
    dossier.answers["ho_ten"] = HOSTILE
    dossier.answers["ngay_sinh"] = "\x00"
    dossier.answers["ngay_ky"] = "mùng 2 tháng Ba <&>"
    dossier.tables["cong_tac"][0]["viec"] = HOSTILE + "\n" + long_text
    dossier.relatives[0]["ho_ten"] = HOSTILE
    dossier.relatives.append({"quan_he": "không-có-mã\x01", "ho_ten": "<NGƯỜI LẠ>"})
    dossier.explanations["k"] = HOSTILE
    return dossier


@pytest.mark.parametrize("draft", [True, False])
def test_hostile_text_renders_and_reopens(draft: bool) -> None:
    dossier = _hostile_dossier()
    flags = [
        SimpleNamespace(
            rule="Z\x07",
            severity="error",
            item="x\x00",
            row=None,
            message=HOSTILE,
            key="k",
            explanation=None,
        )
    ]
    data = render_dossier(dossier, draft=draft, flags=flags)
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        assert zf.testzip() is None
        root = etree.fromstring(zf.read("word/document.xml"))  # strict XML parse
    assert root is not None
    text = _body_text(_open(data))
    assert "😀👍🏽 <b>&amp; \"quote\" 'x' & < >" in text
    assert not re.search("[\x00-\x08\x0b\x0c\x0e-\x1f]", text.replace("\n", "").replace("\t", ""))
    assert "\ud800" not in text
    assert clean_text(dossier.answers["tu_nhan_xet"]).split("\n")[0] in text  # 10 000 chars
    assert "Dòng hai\nDòng ba" in text  # CR, CRLF → line breaks
    assert "<NGƯỜI LẠ>" in text
    assert "mùng 2 tháng Ba <&>" in text  # a date that is not dd/mm/yyyy is kept as written


def test_clean_text() -> None:
    assert clean_text("a\x00b\x1fc\td\r\ne\rf\ud800") == "abc\td\ne\nf"
    assert clean_text(None) == ""
    assert clean_text(12) == "12"


def test_a4_and_times_new_roman_everywhere() -> None:
    data = render_dossier(load_sample("b"), draft=True, flags=FAKE_FLAGS)
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        parts = {n: etree.fromstring(zf.read(n)) for n in zf.namelist() if n.endswith(".xml")}
    document = parts["word/document.xml"]
    for size in document.iter(f"{W}pgSz"):
        assert (size.get(f"{W}w"), size.get(f"{W}h")) == ("11906", "16838")
    margins = document.find(f".//{W}pgMar")
    assert int(margins.get(f"{W}left")) >= 1134  # ≥ 2 cm
    styles = parts["word/styles.xml"]
    defaults = styles.find(f"{W}docDefaults/{W}rPrDefault/{W}rPr")
    assert defaults.find(f"{W}sz").get(f"{W}val") == "26"  # 13 pt body
    # numbering.xml keeps the bullet glyph fonts of the (unused) list styles
    fonts = [
        el
        for name, part in parts.items()
        if name != "word/numbering.xml"
        for el in part.iter(f"{W}rFonts")
    ]
    assert not any(n.endswith("stylesWithEffects.xml") for n in parts)
    assert fonts
    for el in fonts:
        attrs = {k.removeprefix(W): v for k, v in el.attrib.items()}
        assert not any(k.endswith(("Theme", "theme")) for k in attrs), attrs
        for script in ("ascii", "hAnsi", "eastAsia", "cs"):
            assert attrs.get(script) == "Times New Roman", attrs
    sizes = [int(el.get(f"{W}val")) for el in document.iter(f"{W}sz")]
    assert max(sizes) >= 40  # the title (20 pt) and the draft mark are bigger than the body
    assert min(sizes) >= 22  # nothing below 11 pt
