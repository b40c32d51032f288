"""The rendered booklet against the form's layout in the domain notes (§1.3, §1.5) and the
text of HD 38 point 1.4.2, read back with python-docx. The expected wording is written out
here, not taken from the form data, so a label that drifts from the guidance is caught."""

from __future__ import annotations

import io

import pytest
from docx import Document
from docx.oxml.ns import qn
from docx.text.paragraph import Paragraph

from forms.document import render_dossier
from tests.samples import load_sample

#: Items (1)–(26) as HD 38 names them (domain notes §1.3, "Label (HD 38)").
OFFICIAL_LABELS = (
    "Họ và tên khai sinh",
    "Các tên gọi khác",
    "Sinh ngày",
    "Giới tính (nam, nữ)",
    "Nơi đăng ký khai sinh",
    "Quê quán",
    "Nơi cư trú",
    "Dân tộc",
    "Tôn giáo",
    "Nghề nghiệp hiện nay",
    "Trình độ hiện nay",
    "Ngày và nơi kết nạp vào Đoàn TNCS Hồ Chí Minh",
    "Đối với người xin được kết nạp lại vào Đảng",
    "Lịch sử bản thân",
    "Những công việc, chức vụ đã qua",
    "Đặc điểm lịch sử",
    "Những lớp đào tạo, bồi dưỡng đã qua",
    "Đi nước ngoài",
    "Khen thưởng",
    "Kỷ luật",
    "Hoàn cảnh gia đình",
    "Tự nhận xét",
    "Cam đoan và ký tên",
    # (24)–(26) as HD 38 point 1.4.2 words them (not as the older booklets did)
    "Nhận xét của cấp ủy, tổ chức đảng nơi đến thẩm tra lý lịch của người xin vào Đảng:",
    "Nhận xét của chi ủy hoặc của chi bộ (nơi không có chi ủy):",
    "Chứng nhận của cấp ủy cơ sở hoặc cấp ủy cấp trên trực tiếp của tổ chức cơ sở đảng "
    "(nơi không có đảng ủy cơ sở):",
)


def _paragraphs(data: bytes) -> list[str]:
    doc = Document(io.BytesIO(data))
    return [Paragraph(p, doc).text for p in doc.element.body.iter(qn("w:p"))]


@pytest.mark.parametrize("name", ["a", "b"])
def test_every_item_has_its_hd38_wording_in_order(name: str) -> None:
    paragraphs = _paragraphs(render_dossier(load_sample(name), draft=False))
    starts = []
    for number, label in enumerate(OFFICIAL_LABELS, start=1):
        heading = f"({number}) {label}"
        found = [i for i, p in enumerate(paragraphs) if p.startswith(heading)]
        assert len(found) == 1, heading
        starts.append(found[0])
    assert starts == sorted(starts)


def _reviewer_part(paragraphs: list[str], number: int) -> list[str]:
    start = next(i for i, p in enumerate(paragraphs) if p.startswith(f"({number}) "))
    end = next(
        (i for i, p in enumerate(paragraphs) if p.startswith(f"({number + 1}) ")),
        len(paragraphs),
    )
    return [p for p in paragraphs[start + 1 : end] if p.strip()]


@pytest.mark.parametrize("draft", [False, True])
def test_reviewer_blocks_have_room_to_sign_and_seal(draft: bool) -> None:
    paragraphs = _paragraphs(render_dossier(load_sample("b"), draft=draft, flags=[]))
    cut = next(i for i, p in enumerate(paragraphs) if "GIẤY TỜ KÈM THEO" in p) if draft else None
    paragraphs = paragraphs[:cut]
    b24, b25, b26 = (_reviewer_part(paragraphs, n) for n in (24, 25, 26))
    # (24): a) the verifying party unit, b) the higher level, in HD 38's words
    parts = [p for p in b24 if p[:2] in ("a)", "b)")]
    assert parts == [
        "a) Nhận xét của chi ủy, chi bộ; ban thường vụ hoặc của ban chấp hành đảng bộ cơ sở "
        "nơi đến thẩm tra:",
        "b) Nhận xét của cơ quan tham mưu về công tác tổ chức hoặc của thường trực cấp ủy cấp "
        "trên trực tiếp của tổ chức cơ sở đảng (nếu có):",
    ]
    for block, seal, signings in ((b24, True, 2), (b25, False, 1), (b26, True, 1)):
        dates = [p for p in block if ", ngày" in p and "tháng" in p and "năm" in p]
        on_behalf = [p for p in block if p.startswith("T/M ")]  # signed for the body
        hints = [p for p in block if p.startswith("(") and "ký" in p.lower()]
        assert len(dates) == len(on_behalf) == len(hints) == signings
        assert all(("đóng dấu" in h) == seal for h in hints)
        hint_shown = any("người khai để trống" in p for p in block)
        assert hint_shown == draft
    # nothing of the candidate's is written into the reviewers' blocks
    d = load_sample("b")
    for block in (b24, b25, b26):
        assert not any(d.answers["ho_ten"] in p for p in block)


def test_a_one_month_event_of_item_14_reads_as_one_month() -> None:
    paragraphs = _paragraphs(render_dossier(load_sample("a"), draft=False))
    (line,) = [p for p in paragraphs if "Nhập học Trường Đại học Bách khoa" in p]
    assert line.startswith("Tháng 09/2019: ")
    assert not any("đến 09/2019:" in p for p in paragraphs)
    assert any(p.startswith("Từ 09/2016 đến 06/2019: ") for p in paragraphs)


@pytest.mark.parametrize(("gender", "word"), [("nữ", "chồng"), ("nam", "vợ")])
def test_spouse_side_is_named_by_the_candidates_gender(gender: str, word: str) -> None:
    # The domain notes' sample B (a woman) writes "Chồng", "Cha chồng", "Ông nội chồng".
    d = load_sample("b")
    d.answers["gioi_tinh"] = gender
    paragraphs = _paragraphs(render_dossier(d, draft=False))
    assert not any("vợ (chồng)" in p.lower() for p in paragraphs)
    assert f"{word.capitalize()}: NGUYỄN VĂN ĐỨC" in paragraphs
    assert f"Cha {word}: NGUYỄN VĂN LỢI" in paragraphs
    assert f"Ông nội của {word}: NGUYỄN VĂN BẢY" in paragraphs
    assert any(p.endswith(f"Anh, chị, em ruột của {word}") for p in paragraphs)


def test_spouse_side_keeps_both_words_when_gender_is_unknown() -> None:
    d = load_sample("b")
    d.answers["gioi_tinh"] = ""
    paragraphs = _paragraphs(render_dossier(d, draft=True, flags=[]))
    assert "Vợ (chồng): NGUYỄN VĂN ĐỨC" in paragraphs
