"""One classifier for every free-text answer (issue 12): an answer, a question (by meaning,
not only a trailing "?"), an "I don't know", a refusal or chatter, with and without
diacritics, NFC or NFD alike, and never a misfire on a real answer."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterator

import pytest

from forms import parsers as p
from forms.classify import Expect, Verdict, classify
from forms.definition import load_form
from forms.dossier import Dossier
from forms.model import FieldDef, Kind
from tests.samples import load_sample

FORM = load_form()
RELATIVE = {f.id: f for f in FORM.relatives().fields}
FIELD = {f.id: f for _, f in FORM.scalar_fields()}


def column(table: str, col: str) -> FieldDef:
    return FORM.table(table).column(col)


Q, DK, REF, CHAT, ANS = (
    Verdict.QUESTION,
    Verdict.I_DONT_KNOW,
    Verdict.REFUSAL,
    Verdict.CHATTER,
    Verdict.ANSWER,
)


@pytest.mark.parametrize(
    ("text", "field", "verdict"),
    [
        # questions by meaning, the "?" anywhere or nowhere
        ("la sao? khoa hoc cong nghe la gi", FIELD["khoa_hoc_cong_nghe"], Q),
        ("ghi gi a", FIELD["chuyen_mon"], Q),
        ("the nao", FIELD["nghe_nghiep"], Q),
        ("ghi thế nào ạ", FIELD["ngay_sinh"], Q),
        ("cai nay la gi vay", FIELD["tieng_dan_toc"], Q),
        ("ghi j z", FIELD["tin_hoc"], Q),
        ("cho em hỏi mục này ghi gì", FIELD["tu_nhan_xet"], Q),
        ("Tự nhận xét là gì vậy?", FIELD["tu_nhan_xet"], Q),
        ("la sao? em chua hieu, muc nay co can ghi chung chi khong", FIELD["tu_nhan_xet"], Q),
        ("co bat buoc khong", RELATIVE["thanh_phan"], Q),
        # "I don't know"
        ("ko bit", RELATIVE["noi_mat"], DK),
        ("ko biet", RELATIVE["nguyen_nhan_mat"], DK),
        ("ko biet ten ong noi", RELATIVE["ho_ten"], DK),
        ("ko ro, ghi sao a", RELATIVE["nguyen_nhan_mat"], DK),
        ("chiu", RELATIVE["nam_mat"], DK),
        ("k nho", RELATIVE["nam_sinh"], DK),
        ("Dạ em không nhớ ạ", RELATIVE["nam_sinh"], DK),
        ("không rõ", RELATIVE["noi_sinh"], DK),
        ("quên rồi", FIELD["ngay_vao_doan"], DK),
        # refusals
        ("ko muon khai", RELATIVE["ho_ten"], REF),
        ("bí mật", RELATIVE["cu_tru"], REF),
        ("de sau", FIELD["tu_nhan_xet"], REF),
        # chatter where a value is expected
        ("k", FIELD["ngoai_ngu"], CHAT),
        ("ok", FIELD["ngoai_ngu"], CHAT),
        ("ừ", FIELD["nghe_nghiep"], CHAT),
        ("co", FIELD["que_quan"], CHAT),
        ("chào bạn", FIELD["ho_ten"], CHAT),
        ("cam on nhieu", FIELD["tu_nhan_xet"], CHAT),
        ("👍👍", FIELD["tu_nhan_xet"], CHAT),
        ("hihi", FIELD["noi_ky"], CHAT),
        # a statement is asked: a bare yes/no is not an answer
        ("khong", RELATIVE["chap_hanh"], CHAT),
        ("k", RELATIVE["chap_hanh"], CHAT),
        ("có", RELATIVE["chinh_tri"], CHAT),
        ("không", FIELD["dac_diem_lich_su"], CHAT),
        # "không" where it is a real answer
        ("không", FIELD["ngoai_ngu"], ANS),
        ("ko", FIELD["ton_giao"], ANS),
        ("khong", FIELD["thuong_tru"], ANS),
        ("chưa có", FIELD["chuyen_mon"], ANS),
        ("không", RELATIVE["tien_an"], ANS),
        ("không", column("cong_tac", "chuc_vu"), ANS),
    ],
)
def test_what_a_text_is(text: str, field: FieldDef, verdict: Verdict) -> None:
    assert classify(text, field).verdict is verdict
    nfd = unicodedata.normalize("NFD", text)
    assert classify(nfd, field).verdict is verdict  # decomposed input reads the same


def test_a_dont_know_that_also_asks_says_so() -> None:
    reading = classify("ko ro, ghi sao a", RELATIVE["nguyen_nhan_mat"])
    assert reading.verdict is DK and reading.asks
    assert not classify("ko biet", RELATIVE["noi_mat"]).asks


def test_chatter_carries_the_yes_or_no_it_says() -> None:
    """ "co" typed at an address question is not an address: it may confirm a suggestion."""
    reading = classify("co", FIELD["que_quan"])
    assert (reading.verdict, reading.yes_no) == (CHAT, True)
    assert classify("dung", FIELD["thuong_tru"]).yes_no is True  # "dùng" the suggestion
    reading = classify("thôi", FIELD["que_quan"])
    assert (reading.verdict, reading.yes_no) == (REF, False)


@pytest.mark.parametrize(
    ("text", "said"),
    [
        ("có", True), ("co", True), ("ok", True), ("ừ", True), ("đúng", True),
        ("dung", True), ("dùng", True), ("đồng ý", True), ("vâng", True), ("dạ", True),
        ("rồi", True), ("dc", True), ("Dạ được ạ", True), ("không", False), ("thôi", False),
        ("chưa", False), ("ko", False), ("k", False), ("không cần", False), ("sai", False),
        ("thôi khỏi", False),
    ],
)  # fmt: skip
def test_yes_and_no_in_the_many_ways_people_say_them(text: str, said: bool) -> None:
    assert p.parse_yes_no(text) is said
    assert classify(text, Kind.YES_NO) == classify(text, FIELD["da_ket_hon"])
    assert classify(text, Kind.YES_NO).yes_no is said


def test_dung_is_not_dung_with_its_diacritics() -> None:
    """ "dung" is "dùng"/"đúng" (yes); "dừng" typed with its marks is the stop word."""
    assert p.parse_yes_no("dung") is True
    with pytest.raises(p.ParseError):
        p.parse_yes_no("dừng")
    assert classify("dừng", Kind.YES_NO).verdict is CHAT


def test_yes_and_no_in_the_words_of_the_question() -> None:
    """A confirmation's own button words count: "giữ nguyên" declines a suggestion."""
    labels = {"yes": ("Dùng gợi ý",), "no": ("Giữ nguyên",)}
    assert p.parse_yes_no("giu nguyen", **labels) is False
    assert p.parse_yes_no("dung goi y", **labels) is True
    assert p.parse_yes_no("xoa", yes=("Xóa",), no=("Không xóa",)) is True
    assert p.parse_yes_no("khong xoa", yes=("Xóa",), no=("Không xóa",)) is False


@pytest.mark.parametrize(
    "text",
    [
        "khong", "k", "ko", "có", "ok", "Dạ không ạ", "chua", "tot la khong",
    ],
)  # fmt: skip
def test_a_bare_yes_or_no_is_not_a_statement(text: str) -> None:
    field = RELATIVE["chap_hanh"]
    if text == "tot la khong":
        assert p.parse_statement(text) == text
        return
    with pytest.raises(p.ParseError) as caught:
        p.parse_statement(text, examples=field.statement_examples())
    assert caught.value.key == "parse.statement.bare"
    assert field.suggestions[0] in caught.value.message  # an example to write instead


def test_statements_are_kept() -> None:
    text = "Chấp hành tốt chủ trương của Đảng, chính sách, pháp luật của Nhà nước"
    assert p.parse_statement(text) == text
    assert p.parse_statement("Không có vấn đề về tiêu chuẩn chính trị").startswith("Không có")


# --- no misfire on real answers ------------------------------------------------------------


def _answers(d: Dossier) -> Iterator[tuple[str, FieldDef]]:
    for fid, value in d.answers.items():
        if value and fid in FIELD:
            yield value, FIELD[fid]
    for table_id, rows in d.tables.items():
        table = FORM.table(table_id)
        for row in rows:
            for col in table.columns:
                if col.kind is Kind.PERIOD:
                    yield f"{row.get('tu', '')} - {row.get('den', '')}", col
                elif row.get(col.id):
                    yield row[col.id], col
    for rel in d.relatives:
        for fid, value in rel.items():
            if value and fid in RELATIVE:
                yield value, RELATIVE[fid]


def _form_texts() -> Iterator[tuple[str, FieldDef]]:
    fields = [f for _, f in FORM.scalar_fields()] + list(RELATIVE.values())
    fields += [c for _, t in FORM.tables() for c in t.columns]
    for f in fields:
        for text in (f.example, *f.suggestions, *f.choices):
            if text:
                yield text, f


REAL = [
    ("Cần Giờ", FIELD["que_quan"]),
    ("xã Cần Giờ, thành phố Hồ Chí Minh", FIELD["thuong_tru"]),
    ("phường Dân Chủ, tỉnh Hòa Bình", FIELD["noi_dang_ky_khai_sinh"]),
    ("Dân Chủ", FIELD["que_quan"]),
    ("La Gi", FIELD["que_quan"]),
    ("la gi, binh thuan", FIELD["que_quan"]),
    ("thị xã La Gi, tỉnh Bình Thuận", RELATIVE["noi_sinh"]),
    ("xa tan hai, thi xa la gi, tinh binh thuan", FIELD["que_quan"]),
    ("xã Nghĩa Lâm, tỉnh Nghệ An", FIELD["que_quan"]),
    ("Hướng dẫn viên du lịch, Công ty Du lịch Hạ Long", FIELD["nghe_nghiep"]),
    ("Kỹ sư phần mềm, công ty gì cũng được", FIELD["nghe_nghiep"]),
    ("Công ty TNHH Sao Mai", column("cong_tac", "viec")),
    ("Còn đi học", FIELD["nghe_nghiep"]),
    ("còn sống", RELATIVE["da_mat"]),
    ("Chịu khó, trung thực; khuyết điểm: nóng vội", FIELD["tu_nhan_xet"]),
    ("Khuyết điểm: không biết từ chối việc", FIELD["tu_nhan_xet"]),
    (
        "Ưu điểm: trung thực. Khuyết điểm: đôi khi chưa hiểu hết ý cấp trên, là gì cũng hỏi?",
        FIELD["tu_nhan_xet"],
    ),
    ("TRẦN THỊ NHI", RELATIVE["ho_ten"]),
    ("Nguyễn Văn Tuấn", FIELD["ky_ten"]),
    ("nguyen van a", RELATIVE["ho_ten"]),
    ("Lê Thị Hà", RELATIVE["ho_ten"]),
    ("Tiếng Anh B1", FIELD["ngoai_ngu"]),
    ("IELTS 6.5", FIELD["ngoai_ngu"]),
    ("cong nhan may, cty tnhh may hung yen", FIELD["nghe_nghiep"]),
    ("chi doan 11a2 truong thpt van giang", FIELD["noi_vao_doan"]),
    ("hung yen", FIELD["noi_ky"]),
    ("15/08/1997", FIELD["ngay_sinh"]),
    ("1945", RELATIVE["nam_sinh"]),
    ("09/2019 - nay", column("cong_tac", "thoi_gian")),
    ("bệnh tuổi già", RELATIVE["nguyen_nhan_mat"]),
    ("tai nạn giao thông", RELATIVE["nguyen_nhan_mat"]),
    ("ở nhà", RELATIVE["nghe_nghiep"]),
    ("Phật giáo", FIELD["ton_giao"]),
    ("dân tộc Thái", FIELD["dan_toc"]),
    ("Không bị bắt, bị tù; không quan hệ với tổ chức nước ngoài", FIELD["dac_diem_lich_su"]),
    ("Chấp hành tốt chủ trương, pháp luật", RELATIVE["chap_hanh"]),
    ("tốt", RELATIVE["chap_hanh"]),
]


@pytest.mark.parametrize("name", ["a", "b", "c"])
def test_every_answer_of_the_samples_stays_an_answer(name: str) -> None:
    wrong = [
        (text, f.id, r.verdict, r.reason)
        for text, f in _answers(load_sample(name))
        if not (r := classify(text, f)).is_answer
    ]
    assert wrong == []


def test_every_example_and_suggestion_of_the_form_is_an_answer() -> None:
    wrong = [(t, f.id) for t, f in _form_texts() if not classify(t, f).is_answer]
    assert wrong == []


@pytest.mark.parametrize(("text", "field"), REAL)
def test_real_answers_are_answers(text: str, field: FieldDef) -> None:
    assert classify(text, field).is_answer, classify(text, field)
    assert classify(unicodedata.normalize("NFD", text), field).is_answer


def test_expectations_come_from_the_form() -> None:
    assert Expect.of(RELATIVE["nam_mat"]).unknown_ok
    assert not Expect.of(RELATIVE["ho_ten"]).unknown_ok
    assert Expect.of(RELATIVE["chap_hanh"]).statement
    assert Expect.of(FIELD["ngoai_ngu"]).none_ok and not Expect.of(FIELD["que_quan"]).none_ok
