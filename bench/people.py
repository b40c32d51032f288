"""Simulated people for the benches: every candidate a different person, reproducibly.

The conversation of sample A is recorded once (bench_chat.record_script) with, for every
typed answer, the kind of field it answers. Each simulated candidate then replays that
conversation as *their own* person: a different name (the same one wherever the sample's
name recurs, so the signature still matches), a different birth date, a different house and
lane number, and — for some people — the typos of a hurried candidate on an unaccented
keyboard (dates with dots, names in lower case, ethnicity and gender without diacritics,
as tests/test_telegram_e2e.py's ``messy`` typist, which the bot reads back into a clean
dossier without asking; unaccented addresses are left out because the bot then asks to
confirm the restored spelling, an extra step the recorded script does not have). Only values
that do not change the shape of the conversation are varied, so every person's script answers
the same questions with the same number of replies; bench_cpu.py's replay checks that on the
real router.

Each person also writes their own free text (``own_words``): what they studied and where,
their job and company, their English score, the country of their exchange term, their
award, the roles they held, their village, their relatives' jobs, causes of death and
stories, and the paragraphs in their own words — drawn from the small tables below. A phrase
of the sample is replaced by the same words everywhere in one person's script (their
university in (11), (15), (17) and (18) alike), so the rules that compare answers with each
other (X8's job in (10) and (15), X9's diplomas in (11) and (17), X10's stay abroad in (15)
and (18)) find them as consistent as sample A's, and the finished dossier has no flag.
``free_text=False`` keeps the sample's free text (session 10's people).

Why: with every candidate typing identical text, the caches keyed on typed text always hit
and the bench flattered the engine (issue 17); with only names and dates varied, 60 people
typed 749 distinct (value, field) pairs, far fewer than real people type.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date, timedelta
from typing import Any

from forms.vn import fold

SURNAMES = [
    "Nguyễn",
    "Trần",
    "Lê",
    "Phạm",
    "Hoàng",
    "Huỳnh",
    "Phan",
    "Vũ",
    "Võ",
    "Đặng",
    "Bùi",
    "Đỗ",
    "Hồ",
    "Ngô",
    "Dương",
    "Lý",
    "Đinh",
    "Trương",
    "Lưu",
    "Mai",
]
MIDDLE = [
    "Văn",
    "Minh",
    "Đức",
    "Thu",
    "Ngọc",
    "Hữu",
    "Thanh",
    "Quang",
    "Hoài",
    "Gia",
    "Bảo",
    "Anh",
    "Xuân",
    "Quốc",
    "Kim",
]
GIVEN = [
    "An",
    "Bình",
    "Chi",
    "Dũng",
    "Giang",
    "Hà",
    "Hải",
    "Hạnh",
    "Hùng",
    "Khoa",
    "Lan",
    "Linh",
    "Long",
    "Mai",
    "Nam",
    "Phong",
    "Phương",
    "Quân",
    "Sơn",
    "Tâm",
    "Thảo",
    "Trang",
    "Tuấn",
    "Vy",
    "Hiếu",
    "Khánh",
    "Lộc",
    "Nhung",
    "Oanh",
    "Thắng",
    "Trí",
    "Uyên",
    "Việt",
    "Yến",
]


#: How many families bench_chat.FAMILIES declares (0–2 more brothers × 0–2 more awards).
FAMILY_SHAPES = 9


@dataclass(frozen=True)
class Person:
    """Who one simulated candidate is; everything drawn from ``random.Random(seed, index)``."""

    index: int
    seed: int
    birth_shift_days: int  # the sample's birth date moved this many days earlier
    house: int
    lane: int
    typo_rate: float  # share of eligible answers typed the hurried way
    #: which of bench_chat.FAMILIES (more brothers and awards than the sample's): a family
    #: of its own size, so a person's conversation has its own length
    family: int = 0

    def rng(self, salt: str) -> random.Random:
        return random.Random(f"{self.seed}:{self.index}:{salt}")


def person(seed: int, index: int) -> Person:
    rng = random.Random(f"{seed}:{index}")
    return Person(
        index=index,
        seed=seed,
        birth_shift_days=rng.randrange(0, 365),
        house=rng.randrange(1, 400),
        lane=rng.randrange(1, 200),
        typo_rate=rng.choice((0.0, 0.0, 0.15, 0.4)),
        family=random.Random(f"{seed}:{index}:family").randrange(FAMILY_SHAPES),
    )


def full_name(who: Person, original: str) -> str:
    """A name for ``original`` (the same one every time within a person), with at least one
    diacritic: a name written without any is flagged for the candidate to explain."""
    rng = who.rng(original.casefold())
    name = ""
    while fold(name) == name.lower():
        name = f"{rng.choice(SURNAMES)} {rng.choice(MIDDLE)} {rng.choice(GIVEN)}"
    return name.upper() if original.isupper() else name


def shifted_date(text: str, days: int) -> str:
    day, month, year = (int(part) for part in text.split("/"))
    moved = date(year, month, day) - timedelta(days=days)
    return moved.strftime("%d/%m/%Y")


_NUMBERED = re.compile(r"\b(Số|ngõ) (\d+)")


def residence(who: Person, text: str) -> str:
    numbers = {"Số": who.house, "ngõ": who.lane}
    return _NUMBERED.sub(lambda m: f"{m.group(1)} {numbers[m.group(1)]}", text)


def hurried(kind: str, text: str) -> str:
    """How a hurried candidate types ``text`` (tests/test_telegram_e2e.py's ``messy``)."""
    if kind == "date":
        day, month, year = text.split("/")
        return f"{int(day)}.{int(month)}.{year}"
    if kind == "name":
        return text.lower()
    if kind == "ethnicity":
        return fold(text)
    if kind == "gender":
        return fold(text).upper()
    return text


#: What a person studied: (degree, major, their job now). The degree is named in (11) and
#: (17) alike (X9), the job in (10) and (15) alike (X8).
STUDIES = [
    ("Kỹ sư", "Kỹ thuật điện tử - viễn thông", "Kỹ sư phần mềm"),
    ("Kỹ sư", "Công nghệ thông tin", "Lập trình viên"),
    ("Kỹ sư", "Kỹ thuật xây dựng", "Kỹ sư giám sát công trình"),
    ("Kỹ sư", "Kỹ thuật cơ khí", "Kỹ sư thiết kế cơ khí"),
    ("Kỹ sư", "Kỹ thuật điện", "Kỹ sư vận hành hệ thống điện"),
    ("Cử nhân", "Kế toán", "Kế toán viên"),
    ("Cử nhân", "Quản trị kinh doanh", "Nhân viên kinh doanh"),
    ("Cử nhân", "Tài chính - Ngân hàng", "Chuyên viên tài chính"),
    ("Cử nhân", "Luật kinh tế", "Chuyên viên pháp chế"),
    ("Cử nhân", "Marketing", "Nhân viên marketing"),
]
UNIVERSITIES = [
    "Bách khoa Kinh Bắc",
    "Công nghiệp Thăng Long",
    "Kinh tế Hồng Hà",
    "Công nghệ Tràng An",
    "Thủy lợi Đông Đô",
    "Mở Sông Hồng",
    "Phương Đông Kinh Bắc",
    "Giao thông Sông Đà",
]
COMPANY_KINDS = ["TNHH", "Cổ phần", "TNHH MTV"]
TRADES = ["Công nghệ", "Thương mại và Dịch vụ", "Đầu tư", "Xây dựng", "Giải pháp số"]
BRANDS = [
    "Sao Mai",
    "Hồng Phát",
    "Minh Long",
    "Ánh Dương",
    "Phú Thịnh",
    "Tân Phát",
    "Bình Minh",
    "An Khang",
    "Thành Công",
    "Hải Đăng",
]
CONTRACTS = [
    "hợp đồng lao động không xác định thời hạn",
    "hợp đồng lao động xác định thời hạn 36 tháng",
    "hợp đồng không xác định thời hạn",
    "biên chế chính thức",
]
EXAMS = [("IELTS", ("5.5", "6.0", "6.5", "7.0", "7.5")), ("TOEIC", ("550", "650", "750", "850"))]
LANGUAGE_CENTRES = ["Hoa Sữa", "Quang Minh", "Tầm Nhìn", "Ánh Sao", "Bình Minh", "Hoàng Long"]
COUNTRIES = ["Nhật Bản", "Hàn Quốc", "Singapore", "Thái Lan", "Hà Lan", "Phần Lan"]
#: Home communes (the sample's "xã An Lạc" and "xã Bình Định") and their former districts
#: of Thái Bình, named alike in every address and paragraph of one person (X18 compares a
#: candidate's home with their father's); each commune is one the gazetteer knows in Hưng
#: Yên, so F21 has nothing to say.
COMMUNES = [
    "An Lạc",
    "Bình Định",
    "Minh Tân",
    "Hồng Phong",
    "Tân Lập",
    "Nam Cường",
    "Vũ Lăng",
    "Đình Phùng",
    "Thượng Hiền",
    "Hòa Bình",
    "Tây Sơn",
    "Trà Giang",
    "Quốc Tuấn",
    "Bình Nguyên",
    "Thanh Tân",
    "Vũ Quý",
    "Hồng Thái",
    "Nguyên Xá",
    "Phú Châu",
    "Đông Lâm",
    "Hải An",
    "Duy Nhất",
    "Tự Tân",
    "Hùng Dũng",
    "Đông Kinh",
    "Thụy Liên",
    "Phúc Thành",
]
DISTRICTS = [
    "Thanh Bình",
    "Kiến Xương",
    "Đông Hưng",
    "Hưng Hà",
    "Quỳnh Phụ",
    "Thái Thụy",
    "Tiền Hải",
    "Vũ Thư",
]
VILLAGES = ["Đông", "Đoài", "Trung", "Thượng", "Hạ", "Bắc", "Tây", "Nhân Lý", "Phú Mỹ", "Cầu"]
CLASS_ROLES = [
    "Bí thư chi đoàn lớp",
    "Lớp trưởng",
    "Phó Bí thư chi đoàn lớp",
    "Ủy viên Ban Chấp hành Liên chi đoàn khoa",
]
COMPANY_ROLES = [
    "Phó Bí thư Chi đoàn công ty",
    "Bí thư Chi đoàn công ty",
    "Ủy viên Ban Chấp hành Đoàn cơ sở",
    "Ủy viên Ban Chấp hành Chi đoàn công ty",
]
MERITS = [
    "thành tích xuất sắc trong công tác Đoàn",
    "thành tích xuất sắc trong phong trào thanh niên tình nguyện",
    "hoàn thành xuất sắc nhiệm vụ",
    "thành tích xuất sắc trong phong trào Thanh niên xung kích, sáng tạo",
]
AWARDERS = ["BCH Thành đoàn Hà Nội", "Chủ tịch UBND thành phố Hà Nội", "BCH Đoàn Khối Doanh nghiệp"]
ARMIES = ["Quân khu 3", "Quân đoàn 1", "Bộ Tư lệnh Thủ đô", "Quân khu 1", "Quân chủng Hải quân"]
FARMING = ["làm nông", "làm ruộng", "trồng lúa, chăn nuôi", "làm vườn, chăn nuôi"]
TEACHER_SCHOOLS = ["Trung cấp Sư phạm", "Cao đẳng Sư phạm"]
#: (22): two to four strengths and one or two weaknesses, joined into the paragraph.
STRENGTHS = [
    "lập trường tư tưởng vững vàng, tin tưởng vào đường lối của Đảng",
    "có lối sống giản dị, trung thực",
    "hoàn thành tốt nhiệm vụ chuyên môn được giao",
    "tích cực trong hoạt động Đoàn và phong trào thanh niên của công ty",
    "quan hệ đúng mực với đồng nghiệp, được đoàn viên và đảng viên trong chi bộ tín nhiệm",
    "có tinh thần trách nhiệm, chịu khó học hỏi",
    "đoàn kết, sẵn sàng giúp đỡ đồng nghiệp",
    "chấp hành nghiêm nội quy, kỷ luật của cơ quan",
]
WEAKNESSES = [
    "đôi lúc còn nóng vội",
    "kỹ năng nói trước đông người còn hạn chế",
    "việc tự học lý luận chính trị chưa thường xuyên",
    "có lúc còn ngại va chạm, chưa mạnh dạn góp ý",
    "sắp xếp thời gian công việc đôi khi chưa hợp lý",
]

#: Answers the sample gives in words a person chooses for themselves: each occurrence
#: replaced by one of these (the sample's own first), drawn for that person and that step.
ANSWERS: dict[str, tuple[str, ...]] = {
    "Ở nhà chờ việc tại xã An Lạc, tỉnh Hưng Yên": (
        "Ở nhà chờ việc tại xã An Lạc, tỉnh Hưng Yên",
        "Ở nhà tìm việc làm tại xã An Lạc, tỉnh Hưng Yên",
        "Ở nhà ôn thi chứng chỉ, tìm việc tại xã An Lạc, tỉnh Hưng Yên",
    ),
    "Bản thân không bị bắt, bị tù; không tham gia hoặc có quan hệ với tổ chức chính trị, kinh tế,"
    " xã hội nào ở nước ngoài; không giữ chức sắc tôn giáo.": (
        "Bản thân không bị bắt, bị tù; không tham gia hoặc có quan hệ với tổ chức chính trị,"
        " kinh tế, xã hội nào ở nước ngoài; không giữ chức sắc tôn giáo.",
        "Bản thân không bị bắt, không bị tù; không tham gia tổ chức chính trị, kinh tế, xã hội"
        " nào ở nước ngoài; không giữ chức sắc tôn giáo.",
        "Không bị bắt, bị tù, không bị xử lý kỷ luật; không có quan hệ với tổ chức chính trị,"
        " kinh tế, xã hội nào ở nước ngoài; không giữ chức sắc tôn giáo.",
    ),
    "Học trao đổi": ("Học trao đổi", "Học kỳ trao đổi sinh viên", "Trao đổi sinh viên"),
    "bệnh tuổi già": ("bệnh tuổi già", "già yếu", "bệnh tim", "suy tim", "ung thư gan"),
    "tai biến mạch máu não": (
        "tai biến mạch máu não",
        "đột quỵ",
        "ung thư phổi",
        "bệnh phổi tắc nghẽn mạn tính",
    ),
    "tại nhà, xã An Lạc, tỉnh Hưng Yên": (
        "tại nhà, xã An Lạc, tỉnh Hưng Yên",
        "tại gia đình, xã An Lạc, tỉnh Hưng Yên",
        "tại nhà riêng ở xã An Lạc, tỉnh Hưng Yên",
    ),
    "Bệnh viện Đa khoa tỉnh Thái Bình (cũ)": (
        "Bệnh viện Đa khoa tỉnh Thái Bình (cũ)",
        "Bệnh viện Bạch Mai, Hà Nội",
        "Bệnh viện Đa khoa huyện Kiến Xương (cũ)",
        "tại nhà, xã Bình Định, tỉnh Hưng Yên",
    ),
    "nông dân": ("nông dân", "làm ruộng", "nông dân, chăn nuôi"),
    "già yếu, ở nhà": ("già yếu, ở nhà", "nội trợ, nay già yếu", "làm ruộng, nay già yếu"),
    "cựu chiến binh, nghỉ hưu": (
        "cựu chiến binh, nghỉ hưu",
        "cán bộ xã nghỉ hưu",
        "công nhân nghỉ hưu",
    ),
    "giáo viên nghỉ hưu": ("giáo viên nghỉ hưu", "y sĩ nghỉ hưu", "nông dân, nay già yếu"),
    "bần nông": ("bần nông", "trung nông", "cố nông"),
    "Không có vấn đề về tiêu chuẩn chính trị": (
        "Không có vấn đề về tiêu chuẩn chính trị",
        "Lịch sử chính trị rõ ràng, không vi phạm tiêu chuẩn chính trị",
        "Không vi phạm tiêu chuẩn chính trị",
        "Không có vấn đề gì về chính trị",
    ),
    "Chấp hành tốt chủ trương của Đảng, chính sách, pháp luật của Nhà nước": (
        "Chấp hành tốt chủ trương của Đảng, chính sách, pháp luật của Nhà nước",
        "Luôn chấp hành tốt đường lối, chủ trương của Đảng, chính sách, pháp luật của Nhà nước",
        "Chấp hành nghiêm chủ trương, chính sách của Đảng và pháp luật của Nhà nước",
    ),
    "Ký túc xá Trường ĐH Y Kinh Bắc, thành phố Hà Nội": (
        "Ký túc xá Trường ĐH Y Kinh Bắc, thành phố Hà Nội",
        "Ký túc xá Trường ĐH Sư phạm Kinh Bắc, thành phố Hà Nội",
        "phòng trọ số 12, ngõ 5 phố Chùa Láng, thành phố Hà Nội",
    ),
    "phụ thuộc gia đình": (
        "phụ thuộc gia đình",
        "sống phụ thuộc bố mẹ",
        "còn đi học, do bố mẹ chu cấp",
    ),
    "Trưởng phòng Kỹ thuật": (
        "Trưởng phòng Kỹ thuật",
        "Phó Giám đốc",
        "Trưởng phòng Hành chính - Nhân sự",
        "Kế toán trưởng",
        "Trưởng nhóm phát triển sản phẩm",
    ),
}


def own_words(who: Person) -> dict[str, str]:
    """The sample's phrases as ``who`` writes them, one choice per person (replaced in one
    pass, so a replacement is never replaced again)."""
    rng = who.rng("words")
    degree, major, job = rng.choice(STUDIES)
    university = rng.choice(UNIVERSITIES)
    company = f"Công ty {rng.choice(COMPANY_KINDS)} {rng.choice(TRADES)} {rng.choice(BRANDS)}"
    exam, scores = rng.choice(EXAMS)
    score = rng.choice(scores)
    level = rng.choice(("cơ bản", "nâng cao"))
    home, their = rng.sample(VILLAGES, 2)
    commune, mothers_commune = rng.sample(COMMUNES, 2)
    district, mothers_district = rng.sample(DISTRICTS, 2)
    strengths = rng.sample(STRENGTHS, rng.randrange(2, 5))
    weaknesses = rng.sample(WEAKNESSES, rng.randrange(1, 3))
    assessment = (
        f"Ưu điểm: {'; '.join(strengths)}. Khuyết điểm: {', '.join(weaknesses)};"
        f" bản thân đang {rng.choice(('tích cực khắc phục', 'cố gắng sửa chữa'))}."
    )
    return {
        "Kỹ sư phần mềm": job,
        "Kỹ sư Kỹ thuật điện tử - viễn thông": f"{degree} {major}",
        "Kỹ sư, chuyên ngành": f"{degree}, chuyên ngành",
        "Bằng kỹ sư": f"Bằng {degree.lower()}",
        "Kỹ thuật điện tử - viễn thông": major,
        "Bách khoa Kinh Bắc": university,
        "Công ty TNHH Công nghệ Sao Mai": company,
        "hợp đồng lao động không xác định thời hạn": rng.choice(CONTRACTS),
        "IELTS 6.5": f"{exam} {score}",
        "luyện thi IELTS": f"luyện thi {exam}",
        "Anh ngữ Hoa Sữa": f"Anh ngữ {rng.choice(LANGUAGE_CENTRES)}",
        "thông tin cơ bản": f"thông tin {level}",
        "CNTT cơ bản": f"CNTT {level}",
        "Nhật Bản": rng.choice(COUNTRIES),
        "Chi đoàn 10A3": f"Chi đoàn 10A{rng.randrange(1, 13)}",
        "Bí thư chi đoàn lớp": rng.choice(CLASS_ROLES),
        "Phó Bí thư Chi đoàn công ty": rng.choice(COMPANY_ROLES),
        "thành tích xuất sắc trong công tác Đoàn": rng.choice(MERITS),
        "BCH Thành đoàn Hà Nội": rng.choice(AWARDERS),
        "An Lạc": commune,
        "Thanh Bình": district,
        "Bình Định": mothers_commune,
        "Kiến Xương": mothers_district,
        "thôn Đông": f"thôn {home}",
        "thôn Nam": f"thôn {their}",
        "Quân khu 3": rng.choice(ARMIES),
        "Học tiểu học tại": rng.choice(("Học tiểu học tại", "Học sinh", "Học cấp I tại")),
        "Học trung học cơ sở tại": rng.choice(
            ("Học trung học cơ sở tại", "Học sinh", "Học cấp II tại")
        ),
        "Học trung học phổ thông tại": rng.choice(
            ("Học trung học phổ thông tại", "Học sinh", "Học cấp III tại")
        ),
        "Nhập học": rng.choice(("Nhập học", "Trúng tuyển và nhập học", "Làm thủ tục nhập học")),
        "làm nông": rng.choice(FARMING),
        "Trung cấp Sư phạm": rng.choice(TEACHER_SCHOOLS),
        _ASSESSMENT: assessment,
    }


#: Sample A's (22), replaced whole by the person's own paragraph.
_ASSESSMENT = (
    "Ưu điểm: lập trường tư tưởng vững vàng, tin tưởng vào đường lối của Đảng; có lối sống"
    " giản dị, trung thực; hoàn thành tốt nhiệm vụ chuyên môn được giao; tích cực trong hoạt"
    " động Đoàn và phong trào thanh niên của công ty; quan hệ đúng mực với đồng nghiệp, được"
    " đoàn viên và đảng viên trong chi bộ tín nhiệm. Khuyết điểm: đôi lúc còn nóng vội, kỹ"
    " năng nói trước đông người còn hạn chế; bản thân đang tích cực khắc phục."
)

#: The field kinds whose answers the person words for themselves: free text, and the home
#: places (the rest are parsed: names, dates, yes/no, ethnicity…).
FREE_KINDS = frozenset({"text", "long_text", "address_origin"})


def rewriter(words: dict[str, str]) -> Callable[[str], str]:
    """Replaces every phrase of ``words`` in a text, longest first, in one pass."""
    pattern = re.compile("|".join(re.escape(k) for k in sorted(words, key=len, reverse=True)))
    return lambda text: pattern.sub(lambda m: words[m.group(0)], text)


def in_own_words(who: Person, text: str, at: int, rewrite: Callable[[str], str]) -> str:
    """``text`` (a free-text answer of the sample, step ``at``) as ``who`` writes it."""
    if text.isupper():  # a person named in free text (the introducer in (24))
        return full_name(who, text)
    if text in ANSWERS:
        text = who.rng(f"answer:{at}").choice(ANSWERS[text])
    return rewrite(text)


def personal_text(
    who: Person,
    kind: str,
    field_id: str,
    text: str,
    birth: str,
    *,
    at: int = 0,
    rewrite: Callable[[str], str] | None = None,
) -> str:
    """What ``who`` types where the sample typed ``text`` (a field of ``kind``, step ``at``);
    ``rewrite``: their :func:`own_words` as a :func:`rewriter` (None: the sample's free
    text)."""
    if kind == "name":
        text = full_name(who, text)
    elif kind == "date" and text == birth:
        text = shifted_date(text, who.birth_shift_days)
    elif kind == "address_residence":
        text = residence(who, text)
    elif kind in FREE_KINDS and rewrite is not None:
        text = in_own_words(who, text, at, rewrite)
    if who.typo_rate and who.rng(f"typo:{field_id}:{text}").random() < who.typo_rate:
        text = hurried(kind, text)
    return text


def personalise(steps: list[Any], who: Person, birth: str, *, free_text: bool = True) -> list[Any]:
    """``steps`` (bench_chat.Step, recorded with field kinds) as ``who`` plays them;
    ``free_text=False``: with the sample's free text (only names, dates, house numbers and
    typos their own, as the bench's people were until session 11)."""
    rewrite = rewriter(own_words(who)) if free_text else None
    out = []
    for at, step in enumerate(steps):
        if step.kind == "text" and step.field_kind:
            value = personal_text(
                who, step.field_kind, step.field_id, step.value, birth, at=at, rewrite=rewrite
            )
            step = replace(step, value=value)
        out.append(step)
    return out
