"""Is a typed text an answer to the question asked? One classifier for every path that
stores free text (issue 12: "the conversation never files a non-answer").

A candidate typing on a phone, often without diacritics, answers the question, or asks about
it ("la sao? khoa hoc cong nghe la gi", "ghi gi a"), or says they do not know ("ko bit ten
ong noi", "ko ro, ghi sao a", "chiu"), or declines ("ko muon khai"), or just chats ("ok",
"k", "cam on", "👍"). Only the first may become data. :func:`classify` tells them apart for
the kind of question asked (:class:`Expect`, built from the form's field with
:meth:`Expect.of`), by meaning rather than by a trailing "?":

* words typed without diacritics match any tone ("la gi" may be "là gì"), words typed with
  them must match exactly, so "Cần Giờ", "Dân Chủ" and "thị xã La Gi" are places, not
  questions ("cần gì", "hướng dẫn", "là gì");
* a narrative (items (14)–(16), (22)) may contain "?" or "là gì": there only a short text, or
  one that opens with a question, is a question;
* "không" is an answer where the form accepts it (religion, "chưa có" lines of (11), a
  residence, optional fields); a bare yes/no where a statement is asked (the political
  standard, compliance with the law, item (16)) is not (``reason="bare_statement"``);
* yes and no are read in context (:func:`forms.parsers.parse_yes_no`): "có", "ok", "ừ",
  "đúng", "dùng" (not "dừng"), "đồng ý", "vâng", "dạ", "rồi" / "không", "thôi", "chưa", "ko";
  a yes/no typed where a value is expected is chatter carrying ``yes_no``, so the chat can
  take it as the reply to a suggestion it made.

Nothing here stores or replies; texts come from the caller's catalogue. Never raises.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache

from forms.framing import polite_words
from forms.memo import remembered
from forms.model import FieldDef, Kind
from forms.parsers import UNKNOWN, ParseError, parse_yes_no
from forms.vn import clean_text, fold, has_diacritics, match_key, tone_key

__all__ = [
    "UNKNOWN",
    "Expect",
    "Reading",
    "Verdict",
    "classify",
]


class Verdict(StrEnum):
    """What a typed text is, for the question asked."""

    ANSWER = "answer"
    QUESTION = "question"
    I_DONT_KNOW = "i_dont_know"
    REFUSAL = "refusal"
    CHATTER = "chatter"


@dataclass(frozen=True, slots=True)
class Reading:
    """The verdict, why (``reason``: greeting, thanks, ack, noise, control, help, yes, no,
    bare_statement…), the yes/no the text says if it says one, and whether a "don't know"
    or a refusal also asks something ("ko ro, ghi sao a")."""

    verdict: Verdict
    reason: str = ""
    yes_no: bool | None = None
    asks: bool = False

    @property
    def is_answer(self) -> bool:
        return self.verdict is Verdict.ANSWER


@dataclass(frozen=True, slots=True)
class Expect:
    """The question asked, as far as the classifier cares.

    ``none_ok``: "không" is a real answer here; ``statement``: only a statement answers it
    (a bare "có"/"không", "tốt", "bình thường" does not); ``unknown_ok``: "không rõ" may be
    stored (the chat stores :data:`UNKNOWN` for an I_DONT_KNOW); ``today_ok``: "hôm nay" /
    "tháng này" is an answer (a date that may be today: not a birth date, not a place).
    """

    kind: Kind | None = None
    none_ok: bool = False
    statement: bool = False
    unknown_ok: bool = False
    today_ok: bool | None = None  # None: by the kind (dates and months)

    @classmethod
    def of(cls, field: FieldDef) -> Expect:
        offered = (*field.suggestions, *field.choices)
        none_ok = (
            field.kind in _NONE_KINDS
            or not field.required
            or any(fold(o) == "khong" for o in offered)
        )
        today_ok = field.kind in _TIME_KINDS and field.may_be_today
        return cls(field.kind, none_ok, field.statement, field.unknown_allowed, today_ok)

    @property
    def takes_today(self) -> bool:
        return self.kind in _TIME_KINDS if self.today_ok is None else self.today_ok


#: Kinds whose answer may be "không" (no religion, no other name, no thường trú…).
_NONE_KINDS = frozenset(
    {Kind.RELIGION, Kind.OTHER_NAMES, Kind.POLITICAL_THEORY, Kind.ADDRESS_RESIDENCE}
)
#: Kinds answered by yes or no.
_YES_NO_KINDS = frozenset({Kind.YES_NO, Kind.PLEDGE})
#: Free text: a narrative may hold a "?" or "là gì" and still be an answer.
_FREE = frozenset({Kind.TEXT, Kind.LONG_TEXT})
_ADDRESSES = frozenset({Kind.ADDRESS_ORIGIN, Kind.ADDRESS_RESIDENCE})
#: Kinds where "hôm nay" / "tháng này" / "năm nay" / "hiện tại" may name the answer.
_TIME_KINDS = frozenset({Kind.DATE, Kind.MONTH, Kind.YEAR, Kind.PERIOD})
#: Kinds whose words are free (a closer typed without diacritics ends only a short question:
#: "mach mau nao" is "mạch máu não", "Nhi" a name); elsewhere the answer is a date, a number
#: or one of a few words, and "ngay vao doan la ngay nao" asks whatever its length.
_WORDY_KINDS = frozenset({Kind.TEXT, Kind.LONG_TEXT, Kind.NAME, Kind.OTHER_NAMES}) | _ADDRESSES


# --- vocabulary (written with diacritics; a word typed without them matches any tone) -------

_GREETINGS = (
    "chào", "xin chào", "chào bạn", "chào bot", "chào em", "chào anh", "chào chị", "hello",
    "hi", "helo", "alo", "a lô", "hey", "chào buổi sáng", "chào buổi tối", "xin chào bạn",
    "hi bot", "hello bot", "alo alo", "bye", "bai", "tạm biệt", "chào nhé", "good night",
)  # fmt: skip
_THANKS = (
    "cảm ơn", "cám ơn", "cảm ơn bạn", "cảm ơn nhiều", "cảm ơn ạ", "thanks", "thank you", "tks",
    "thank", "cám ơn nhiều", "em cảm ơn", "cảm ơn em",
)  # fmt: skip
#: Acknowledgements: where a value is expected they say nothing ("k" may be "ok" or "không").
_ACKS = (
    "ok", "oke", "okie", "oki", "okay", "k", "kk", "c", "ừ", "ừm", "uh", "uhm", "um", "ờ",
    "vâng", "dạ", "rồi", "được", "đc", "dc", "hihi", "haha", "hehe", "hi hi", "ha ha", "yes",
    "y", "ồ", "à", "ạ", "dạ vâng", "vâng ạ", "ok ạ", "dạ ok", "ok bạn", "uk", "ok em",
    "hiểu rồi", "đã hiểu", "em hiểu rồi", "dạ em hiểu rồi", "dạ hiểu rồi", "em hiểu",
    "dạ em hiểu", "biết rồi", "rõ rồi", "hix", "hic", "huhu", "hmm", "hm",
    "ukm", "umk", "oh", "ah", "à há", "vậy à", "thế à", "thật à", "vậy hả", "thế hả", "v",
    "ô kê", "ô kê ạ", "okela", "oce", "okê",
)  # fmt: skip
#: The chat's button words typed where that button is not offered.
_CONTROL = (
    "bỏ qua", "skip", "quay lại", "trở lại", "back", "giải thích", "xong", "tiếp tục",
    "giữ nguyên", "hủy", "dừng", "dừng lại", "để trống", "bỏ trống", "tiếp", "lùi lại",
    "sửa lại", "làm lại", "khai lại", "bắt đầu lại", "thoát", "thoát ra", "stop", "exit",
    "hết", "xong hết", "next", "câu sau", "câu tiếp", "qua câu khác", "bỏ câu này",
)  # fmt: skip
#: Asking for help, as the whole text ("?" alone too: :data:`_QUESTION_MARKS`).
_HELP = (
    "help", "giúp", "giúp với", "giúp đỡ", "trợ giúp", "hướng dẫn", "hướng dẫn đi", "menu",
    "lệnh", "các lệnh", "hỗ trợ", "cần giúp", "cần hỗ trợ", "cứu với",
)  # fmt: skip
#: "I don't know", at the start of the text (after "dạ", "em", "cũng"…).
_DONT_KNOW = (
    "không biết", "kbt", "không rõ", "chưa rõ", "không nhớ", "chưa nhớ", "không còn nhớ",
    "chưa biết", "ai biết", "không chắc", "không có thông tin", "không xác định",
    "không hề biết", "không được biết", "quên mất", "quên rồi", "ai mà biết", "sao biết được",
    "làm sao biết", "làm sao mà biết", "biết đâu", "có biết đâu", "nhớ mang máng",
    "không nhớ rõ", "không rõ lắm", "không nhớ lắm", "chưa có thông tin", "không nắm được",
    "không nắm rõ",
)  # fmt: skip
#: Declining to answer, at the start of the text.
_REFUSALS = (
    "không muốn", "không khai", "không trả lời", "bí mật",
    "riêng tư", "không tiện", "để sau", "khai sau", "tính sau", "lúc khác", "không cần",
    "không muốn nói", "không thích khai",
    # putting it off to ask someone ("de em hoi me da")
    "để em hỏi", "để tôi hỏi", "để mình hỏi", "để hỏi", "hỏi mẹ",
    "hỏi bố", "hỏi gia đình", "để em xem", "để em tìm", "chưa hỏi", "để em nhớ",
)  # fmt: skip
#: "Nothing": a bare "no" ("không có gì" to "có vấn đề gì không?"), not a question.
_NOTHING = (
    "không có gì", "chẳng có gì", "không có vấn đề gì", "không gì", "không có chi",
    "không áp dụng", "kad", "không có gì cả", "chẳng có", "không có gì hết",
)  # fmt: skip
#: "None at all", said with a negation and an indefinite word: "không theo đạo nào", "ko theo
#: dao gi", "chưa bị kỷ luật lần nào", "không có ai" — a statement (no "?"), not a question,
#: unless it is about knowing ("không biết ghi gì") or holds a question's phrase.
_NONE_OPENERS = ("không", "chưa", "chẳng", "chả")
_ANY_CLOSERS = (
    "nào", "gì", "ai", "đâu", "nào cả", "gì cả", "gì hết", "nào hết", "ai cả", "nào khác",
    "gì khác",
)  # fmt: skip
_KNOWING = ("biết", "hiểu", "rõ", "nhớ", "chắc")
_NONE_WORDS = 8
#: Other names: "không có bí danh", "chưa có tên gọi khác" say there is none (a name never
#: begins so).
_NO_OTHER_NAME = ("không có", "chưa có", "không dùng", "chưa dùng", "chưa từng có")
#: Kinds whose answers never hold "không biết": anywhere in the text it says "I don't know"
#: ("ong noi em mat som ko biet ten" is no name).
_NEVER_UNKNOWN_WORDS = frozenset(
    {Kind.NAME, Kind.OTHER_NAMES, Kind.DATE, Kind.MONTH, Kind.YEAR, Kind.PERIOD,
     Kind.ADDRESS_ORIGIN, Kind.ADDRESS_RESIDENCE}
)  # fmt: skip
#: "Today" words: a date's shortcut, never a place, a name or a birth date.
_TODAY = (
    "hôm nay", "ngày hôm nay", "bữa nay", "hnay", "tháng này", "năm nay", "bây giờ",
    "hiện tại", "ngày này",
)  # fmt: skip
#: Vague times: no date, and no answer where no time is asked.
_VAGUE_TIMES = (
    "hôm qua", "ngày mai", "tuần trước", "năm ngoái", "tháng trước", "lúc nhỏ", "hồi nhỏ",
    "ngày xưa", "ngày trước", "trước đây", "gần đây", "mới đây", "hồi đó", "lâu rồi",
    "lâu lắm rồi", "hôm kia", "tuần sau", "năm sau", "tháng sau", "sắp tới",
)  # fmt: skip
#: "Same as …" where the chat copies nothing (a name, a date, "giống bố"): the booklet is
#: written out in full. Where an address is copied, :mod:`handlers.candidate.shortcuts`
#: reads "như trên" / "giống mục (6)" first.
_SAME_AS = (
    "như trên", "giống trên", "nt", "y như trên", "như cũ", "vẫn thế", "vẫn vậy", "vẫn như cũ",
    "như nhau", "giống nhau", "giống", "như vậy", "giống vậy", "giống như trên", "như ở trên",
    "giống ở trên", "như bên trên", "giống bên trên", "như mục trên", "như câu trên",
    "giống câu trên", "như nơi sinh", "giống nơi sinh", "cùng quê", "cùng địa chỉ",
    "giống cha", "giống bố", "giống mẹ", "giống ông nội", "giống bà nội", "giống ông ngoại",
    "giống bà ngoại", "như cha", "như bố", "như mẹ", "như ông nội", "như bà nội",
    "như ông ngoại", "như bà ngoại", "giống anh ấy", "giống chị ấy", "như người trên",
    "giống người trên", "như dòng trên", "giống dòng trên",
)  # fmt: skip
#: Test and filler texts ("test", "abc", "n/a").
_PLACEHOLDERS = (
    "test", "testing", "abc", "asdf", "qwe", "qwerty", "xxx", "aaa", "xyz",
    "null", "none", "nil", "n a", "na na", "blabla", "bla bla", "linh tinh",
)  # fmt: skip
#: An apology for a slip: the next message is the answer ("xin loi, em go nham").
_MISTAKES = (
    "xin lỗi", "sorry", "xin lỗi bạn", "nhầm", "nhầm rồi", "gõ nhầm", "bấm nhầm", "ấn nhầm",
    "viết nhầm", "ghi nhầm", "sai rồi", "sai", "xin lỗi nhầm", "xin lỗi gõ nhầm", "lộn",
    "gõ lộn", "bấm lộn", "nhầm câu", "trả lời nhầm",
)  # fmt: skip
#: Kinds whose answer may be digits only ("12/12", "1997", "09/2019 - nay").
_NUMERIC_KINDS = frozenset({None, Kind.DATE, Kind.MONTH, Kind.YEAR, Kind.PERIOD, Kind.EDUCATION})
#: Empty verdicts where a statement about conduct is asked ("chấp hành …: bình thường", "ổn")
#: say nothing a chi bộ can weigh: asked again with the example, like a bare "có"/"không".
#: ("tốt", "chấp hành tốt" do say something and are kept.)
_VERDICTS = (
    "bình thường", "bt", "ổn", "ổn áp", "không sao", "tạm được", "được", "chuẩn", "đúng",
    "ok hết", "bình thường thôi", "không sao cả", "cũng được", "tạm", "bình thường hết",
    "rõ ràng", "trong sạch", "không có gì", "không có gì đặc biệt", "không có gì cả",
    "không có vấn đề gì", "bình thường không có gì",
)  # fmt: skip
#: Questions about the question, anywhere in the text (whole words).
_QUESTION_PHRASES = (
    "là gì", "là sao", "nghĩa là", "thế nào", "như nào", "ra sao", "tại sao", "vì sao",
    "sao lại", "ghi gì", "điền gì", "khai gì", "viết gì", "ghi sao", "điền sao", "khai sao",
    "viết sao", "ghi như", "không hiểu", "chưa hiểu", "hỏi gì", "cần gì", "phải ghi", "làm sao",
    "có cần", "có phải", "được không", "hay không", "phải không", "đúng không", "gì vậy",
    "gì ạ", "gì thế", "sao vậy", "sao ạ", "sao thế", "là cái gì", "cái gì", "cho ví dụ",
    "ví dụ đi", "giải thích giúp", "giải thích lại", "hướng dẫn giúp", "xin hướng dẫn",
    "giúp tôi", "giúp mình", "giúp em", "khi nào", "bao giờ thì", "ở đâu ạ", "vậy ạ",
    "nghĩa là gì", "có bắt buộc", "bắt buộc không", "ntn", "như thế nào",
)  # fmt: skip
#: "I don't know" / refusals that count only as the whole text ("Chịu khó" is a merit of
#: item (22), "Không nói dối" too).
_DONT_KNOW_EXACT = (
    "chịu", "chịu thôi", "quên", "quên mất", "bó tay", "mù tịt", "hình như", "chắc vậy",
    "chắc là", "chắc thế", "chắc", "có lẽ", "có lẽ vậy", "chắc chắn không", "hông biết",
)  # fmt: skip
_REFUSALS_EXACT = (
    "miễn", "thôi", "khỏi", "thôi khỏi", "không nói", "không ghi", "không điền",
    # putting it off, or asking the bot to invent it
    "tí nữa", "lát nữa", "để mai", "mai khai", "sau này", "chưa nghĩ ra", "khai sau nhé",
    "đang hỏi", "hỏi lại", "hỏi lại sau", "hỏi gđ", "chờ", "chờ xíu", "chờ tí", "chờ chút",
    "đợi", "đợi xíu", "đợi tí", "đợi chút", "chờ em xíu", "đợi em xíu", "chờ em tí",
    "đợi em tí", "wait", "từ từ", "để em nghĩ", "để nghĩ", "cũng được", "sao cũng được", "tùy",
    "tùy bạn", "tùy bot", "gì cũng được", "thế nào cũng được", "bot tự điền", "tự điền đi",
    "bạn điền giúp", "điền giúp", "ghi hộ", "ghi giúp", "điền hộ", "bạn tự ghi", "bot ghi đi",
    "điền giúp em", "ghi hộ em", "ghi giúp em", "điền hộ em", "điền giúp mình", "ghi hộ mình",
    "bạn ghi đi", "ghi gì cũng được", "bịa", "bịa đi", "ghi đại", "điền đại",
)  # fmt: skip
#: Question openers: a text starting with them asks.
_OPENERS = (
    "cho hỏi", "cho mình hỏi", "cho tôi hỏi", "cho em hỏi", "xin hỏi", "hỏi chút", "hỏi xíu",
    "hỏi tí", "tại sao", "vì sao", "sao lại", "làm sao", "thế nào", "như thế nào", "bao giờ",
    "khi nào", "có cần", "có phải", "cái này", "mục này", "câu này", "phần này", "ô này",
    "ghi gì", "ghi sao", "ghi thế nào", "là sao", "thế còn", "ntn",
)  # fmt: skip
#: Openers that count only typed with their diacritics ("ha noi" is Hà Nội, not "hả").
_OPENERS_TONED = ("hả", "hở", "ủa")
#: Question closers: a short text ending with them asks. The second set only when typed
#: with diacritics ("nhi" may be the name Nhi, "a" the name A).
_CLOSERS = ("vậy", "sao", "gì", "nào", "không ạ", "chưa ạ", "ntn")
_CLOSERS_TONED = ("hả", "hở", "nhỉ", "à", "thế")
#: Polite words (forms/data/framing.toml), subject and filler words before the meaning ("dạ
#: em không biết ạ", "thật sự em không nhớ"), and after it ("không biết nữa", "quên rồi").
_HEADS = polite_words()[0] | frozenset(
    {"em", "e", "minh", "toi", "con", "chau", "cung", "that", "su", "thuc", "ra", "thi",
     "voi", "anh", "chi", "nhung", "ma", "tui", "t", "m"}
)  # fmt: skip
_TAILS = polite_words()[1] | frozenset({"ha", "roi", "ca", "nua", "lam", "da", "nhi"})
#: Level words of an address: a text holding one is an address even if a place is named
#: "La Gi" (thị xã La Gi) or a commune "Dân Chủ". Typed with diacritics they must agree
#: ("quê quán" holds no "quận").
_LEVELS = (
    "xã", "phường", "thị", "trấn", "huyện", "tỉnh", "thành", "phố", "tp", "thôn", "xóm", "ấp",
    "tổ", "quận", "đặc", "khu", "bản", "làng", "số", "đường", "ngõ", "ngách", "kiệt", "hẻm",
)  # fmt: skip

_SHORT_SLIP = 6  # "xin lỗi, em gõ nhầm": an apology this short says only that
_UNTONED_CLOSER = 4  # an unaccented closer (nao, sao, gi) ends a question this short
_SHORT_FREE = 12  # a free text of at most this many words may be a question anywhere
_FIRST_CLAUSE = 6  # a longer free text asks when its first clause (this short) asks
_LONG_QUESTION = 25
_SHORT_MEANING = 12  # "don't know" / refusal texts are short
_WORDY = re.compile(r"[^\W_]", re.UNICODE)
_QUESTION_MARKS = re.compile(r"[?？\s]+")
_CLAUSES = re.compile(r"[?？.!,;:\n]+")


# --- word matching ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Word:
    folded: str
    toned: str  # lower case, modern tone placement; "" when typed without diacritics


#: Chat spellings of common words (typed without diacritics only): "ko bit" = "không biết".
_ALIASES = {
    "ko": "khong", "k": "khong", "kg": "khong", "khg": "khong", "kh": "khong", "hok": "khong",
    "hong": "khong", "hk": "khong", "hem": "khong", "bit": "biet", "bik": "biet", "bt": "biet",
    "j": "gi", "dc": "duoc", "z": "vay", "ak": "a", "nhoa": "nho", "r": "roi", "ms": "moi",
    "vs": "voi", "mk": "minh", "mik": "minh", "dk": "duoc", "kb": "kbt",
}  # fmt: skip


def _words(text: str) -> tuple[_Word, ...]:
    return tuple(_word(raw) for raw in _WORD.findall(text))


_WORD = re.compile(r"[^\W_]+", re.UNICODE)


@remembered(maxsize=16384)
def _word(raw: str) -> _Word:
    """One typed word as matched (Vietnamese has a few thousand syllables: each is read once
    per process, not once per text)."""
    if has_diacritics(raw):
        return _Word(fold(raw), tone_key(raw))
    key = fold(raw)
    return _Word(_ALIASES.get(key, key), "")


@remembered(maxsize=512)
def _phrase(text: str) -> tuple[_Word, ...]:
    return tuple(_Word(fold(w), tone_key(w)) for w in text.split())


@lru_cache(maxsize=64)
def _book(phrases: tuple[str, ...]) -> dict[str, tuple[tuple[_Word, ...], ...]]:
    """``phrases`` split into words and grouped by their first word's folded form, so a
    match is tried only where the typed word can start one (the lists hold ~100 phrases)."""
    book: dict[str, list[tuple[_Word, ...]]] = {}
    for text in phrases:
        words = _phrase(text)
        book.setdefault(words[0].folded, []).append(words)
    return {first: tuple(group) for first, group in book.items()}


def _same(typed: _Word, wanted: _Word) -> bool:
    """A word typed without diacritics matches any tone; one typed with them must agree."""
    return typed.folded == wanted.folded and (not typed.toned or typed.toned == wanted.toned)


def _at(words: tuple[_Word, ...], i: int, phrase: tuple[_Word, ...]) -> bool:
    return len(words) - i >= len(phrase) and all(
        _same(words[i + k], w) for k, w in enumerate(phrase)
    )


def _starting(
    words: tuple[_Word, ...], i: int, phrases: tuple[str, ...]
) -> tuple[tuple[_Word, ...], ...]:
    """The phrases whose first word is the word at ``i`` (folded)."""
    return _book(phrases).get(words[i].folded, ()) if i < len(words) else ()


def _is(words: tuple[_Word, ...], phrases: tuple[str, ...]) -> bool:
    return any(len(words) == len(p) and _at(words, 0, p) for p in _starting(words, 0, phrases))


def _whole(words: tuple[_Word, ...], core: tuple[_Word, ...], phrases: tuple[str, ...]) -> bool:
    """The text is one of ``phrases``, as typed or without its polite heads and tails."""
    return _is(words, phrases) or _is(core, phrases)


def _starts(words: tuple[_Word, ...], phrases: tuple[str, ...]) -> bool:
    return any(_at(words, 0, p) for p in _starting(words, 0, phrases))


def _ends(words: tuple[_Word, ...], phrases: tuple[str, ...]) -> bool:
    for text in phrases:
        phrase = _phrase(text)
        if len(words) >= len(phrase) and _at(words, len(words) - len(phrase), phrase):
            return True
    return False


def _contains(words: tuple[_Word, ...], phrases: tuple[str, ...]) -> bool:
    return any(_at(words, i, p) for i in range(len(words)) for p in _starting(words, i, phrases))


def _core(words: tuple[_Word, ...]) -> tuple[_Word, ...]:
    """The words without polite heads and tails ("dạ em không biết ạ" → "không biết")."""
    start, end = 0, len(words)
    while start < end - 1 and start < 3 and words[start].folded in _HEADS:
        start += 1
    while end > start + 1 and words[end - 1].folded in _TAILS:
        end -= 1
    return words[start:end]


# --- the classifier -----------------------------------------------------------------------


def classify(text: str, expect: Expect | FieldDef | Kind | None = None) -> Reading:
    """What ``text`` is, as a reply to a question of ``expect`` (a field, a kind, or
    :class:`Expect`; None: a question of unknown kind, read strictly)."""
    if isinstance(expect, FieldDef):
        expect = _expect_of(expect)
    elif not isinstance(expect, Expect):
        expect = Expect(expect)
    return _classify(clean_text(text, multiline=True), expect)


#: :meth:`Expect.of` per field object (the form's fields live as long as the process).
_EXPECTS: dict[int, tuple[FieldDef, Expect]] = {}


def _expect_of(field: FieldDef) -> Expect:
    hit = _EXPECTS.get(id(field))
    if hit is None or hit[0] is not field:
        if len(_EXPECTS) > 4096:  # fields made on the fly (tests): keep it bounded
            _EXPECTS.clear()
        hit = _EXPECTS[id(field)] = (field, Expect.of(field))
    return hit[1]


@remembered(maxsize=8192)
def _classify(cleaned: str, expect: Expect) -> Reading:
    """:func:`classify` of a cleaned text, remembered: an answer is read when it is typed and
    its stored text again by the part's checks (F18) a few questions later."""
    if _QUESTION_MARKS.fullmatch(cleaned):
        return Reading(Verdict.QUESTION, "help")
    if not _WORDY.search(cleaned):
        return Reading(Verdict.CHATTER, "noise")
    words = _words(cleaned)
    core = _core(words)
    if _whole(words, core, _HELP):
        return Reading(Verdict.QUESTION, "help")
    said = False if _says_none(cleaned, words, core, expect) else _yes_no(cleaned)
    asks = _asks(cleaned, words, expect)
    if said is None and expect.kind is Kind.YES_NO and "?" not in cleaned:
        said = echoed_yes_no(words, core)
    if expect.kind in _YES_NO_KINDS and said is not None:
        return Reading(Verdict.ANSWER, "yes" if said else "no", said)
    misplaced = _misplaced(cleaned, words, core, expect)
    if misplaced:
        return Reading(Verdict.CHATTER, misplaced, said)
    if _dont_know(words, core, expect, asks):
        return Reading(Verdict.I_DONT_KNOW, "dont_know", None, asks)
    social = _social(cleaned, words, core)
    if social:
        return Reading(Verdict.CHATTER, social, said)
    if _refuses(words, core):
        return Reading(Verdict.REFUSAL, "refusal", said, asks)
    if said is not None:
        return _bare(said, expect)
    if asks:
        return Reading(Verdict.QUESTION, "question")
    return Reading(Verdict.ANSWER)


def _says_none(
    text: str, words: tuple[_Word, ...], core: tuple[_Word, ...], expect: Expect
) -> bool:
    """Whether the text says there is none: "không có gì" (:data:`_NOTHING`), a negation
    with an indefinite word (:data:`_NONE_OPENERS`), "không có bí danh" to the other names."""
    if _whole(words, core, _NOTHING):
        return True
    if "?" in text:
        return False
    if expect.kind is Kind.OTHER_NAMES and _starts(core, _NO_OTHER_NAME):
        return True
    return (
        1 < len(core) <= _NONE_WORDS
        and 1 < len(core) <= _NONE_WORDS
        and _starts(core, _NONE_OPENERS)
        and _ends(core, _ANY_CLOSERS)
        and not _contains(core, _KNOWING)
        and not _contains(core, _QUESTION_PHRASES)
    )


def read_yes_no(text: str) -> bool | None:
    """A typed reply to a yes/no question: yes, no (however typed, the question's words
    repeated included), or None."""
    reading = classify(text, Kind.YES_NO)
    return reading.yes_no if reading.is_answer else None


#: A yes/no question answered with its own words: "không bị kỷ luật", "chưa đi nước ngoài",
#: "không có con", "đã kết hôn", "có bị" — read only where a yes or no is asked (elsewhere
#: "Không có khuyết điểm gì lớn" is an answer that starts alike).
_ECHO_NO = ("không", "chưa", "chẳng", "chả")
_ECHO_YES = ("có", "đã", "là")  # "là đảng viên"
_NOT_SURE = ("có lẽ", "có thể", "có khi", "có phải", "đã biết")
_ECHO_WORDS = 7


def echoed_yes_no(words: tuple[_Word, ...], core: tuple[_Word, ...]) -> bool | None:
    """The yes or no of a short reply that repeats the question's words (see
    :data:`_ECHO_NO`); None when it is not one, or unsure ("có lẽ", "không nhớ"). ``core``
    drops polite heads ("dạ"), which "đa" typed plainly would be too: both are tried."""
    if not 1 < len(core) <= _ECHO_WORDS or _contains(core, _KNOWING):
        return None
    if _starts(core, _NOT_SURE) or _contains(core, _QUESTION_PHRASES):
        return None
    if _starts(core, _ECHO_NO) or _starts(words, _ECHO_NO):
        return False
    return True if _starts(core, _ECHO_YES) or _starts(words, _ECHO_YES) else None


def _misplaced(text: str, words: tuple[_Word, ...], core: tuple[_Word, ...], expect: Expect) -> str:
    """Texts that are no answer to this kind of question whatever they say: digits where
    words are asked ("0" as a religion), a time where no time is asked ("hôm nay" as a
    place, a birth date), an empty verdict on conduct, "như trên" where nothing is copied,
    a placeholder ("test", "n/a"), an apology for a slip ("xin loi, nham")."""
    if not any(ch.isalpha() for ch in text) and expect.kind not in _NUMERIC_KINDS:
        return "digits"
    if (_whole(words, core, _TODAY) and not expect.takes_today) or (
        _whole(words, core, _VAGUE_TIMES) and expect.kind not in _TIME_KINDS
    ):
        return "today"
    if expect.statement and (_whole(words, core, _VERDICTS) or fold(text).strip(" .!") == "bt"):
        return "bare_statement"
    for reason, phrases in (
        ("same", _SAME_AS),
        ("placeholder", _PLACEHOLDERS),
        ("mistake", _MISTAKES),
    ):
        if _whole(words, core, phrases):
            return reason
    if len(words) <= _SHORT_SLIP and _starts(words, ("xin lỗi", "sorry", "em xin lỗi")):
        return "mistake"  # "xin loi, em go nham"
    return ""


def _dont_know(
    words: tuple[_Word, ...], core: tuple[_Word, ...], expect: Expect, asks: bool
) -> bool:
    """ "không biết", "ko ro", "k nhớ"… opening a short text; in a narrative only on its own
    or with a question ("không biết từ chối" is a weakness of item (22))."""
    if _whole(words, core, _DONT_KNOW_EXACT) or _whole(words, core, _DONT_KNOW):
        return True
    if expect.kind in _NEVER_UNKNOWN_WORDS and _contains(core, _DONT_KNOW):
        return True
    if len(core) > _SHORT_MEANING or not _starts(core, _DONT_KNOW):
        return False
    if expect.kind is Kind.LONG_TEXT:
        return asks
    if expect.kind is Kind.TEXT:
        return asks or len(core) <= 5
    return True


def _refuses(words: tuple[_Word, ...], core: tuple[_Word, ...]) -> bool:
    if _whole(words, core, _REFUSALS_EXACT):
        return True
    return len(core) <= _SHORT_MEANING and _starts(core, _REFUSALS)


def _yes_no(text: str) -> bool | None:
    try:
        return parse_yes_no(text)
    except ParseError:
        return None


#: One letter for yes or no: "k" is "không" or "ok", "c" is "có": never a value.
_AMBIGUOUS = frozenset({"k", "c", "kk", "cc", "ok", "oke", "okie", "oki", "okay", "uk"})


def _social(text: str, words: tuple[_Word, ...], core: tuple[_Word, ...]) -> str:
    """greeting / thanks / control / ack (a bare acknowledgement), or ""."""
    for reason, phrases in (("greeting", _GREETINGS), ("thanks", _THANKS), ("control", _CONTROL)):
        if _whole(words, core, phrases):
            return reason
    if fold(text).strip(" .!~") in _AMBIGUOUS:
        return "ack"
    if _whole(words, core, _ACKS) and _yes_no(text) is None:
        return "ack"
    return ""


def _bare(said: bool, expect: Expect) -> Reading:
    """A yes or no typed where a value is expected: "không" where the form accepts it is
    the answer; a bare yes/no to a statement question is not; elsewhere it is chatter that
    may confirm something the chat offered."""
    if expect.statement:
        return Reading(Verdict.CHATTER, "bare_statement", said)
    if not said and expect.none_ok:
        return Reading(Verdict.ANSWER, "no", said)
    return Reading(Verdict.CHATTER, "yes" if said else "no", said)


def _asks(text: str, words: tuple[_Word, ...], expect: Expect) -> bool:
    """Whether the text asks something (by meaning; a "?" is one sign among others)."""
    q_mark = "?" in text or "？" in text
    if expect.kind in _ADDRESSES and _has_level(words):
        return q_mark and text.rstrip().endswith(("?", "？"))  # "thị xã La Gi, …" is a place
    if expect.kind in _ADDRESSES and len(words) <= 3 and not q_mark:
        return False  # "La Gi", "Cần Giờ" typed alone: a (partial) place
    phrase = _contains(words, _QUESTION_PHRASES)
    if phrase and expect.kind in _ADDRESSES and "," in text and not q_mark:
        # "la gi, binh thuan": the town La Gi; "que quan la gi, ghi sao" still asks
        phrase = _contains(words, tuple(q for q in _QUESTION_PHRASES if q != "là gì"))
    opener = _starts(words, _OPENERS) or (
        bool(words[0].toned) and _starts(words[:1], _OPENERS_TONED)
    )
    # A closer typed without diacritics ends only a short question: "mach mau nao" is "mạch
    # máu não" (a cause of death), "ghi cai nao" asks.
    toned = bool(words[-1].toned)
    worded = expect.kind is None or expect.kind in _WORDY_KINDS
    short = _SHORT_FREE if toned or not worded else _UNTONED_CLOSER
    # "dạ em chưa ạ" answers (its core is the one word "chưa"); "xong chưa ạ" asks
    closer = (
        1 < len(words) <= short
        and len(_core(words)) > 1
        and _open_end(words)
        and (_ends(words, _CLOSERS) or (toned and _ends(words, _CLOSERS_TONED)))
    )
    if closer and not q_mark and _none_clause(text):
        closer = False  # "rõ ràng, không có vấn đề gì": "none at all", said
    if expect.kind not in _FREE:
        return q_mark or phrase or opener or (closer and expect.kind is not Kind.NAME)
    if len(words) <= _SHORT_FREE and (q_mark or phrase or opener or closer):
        return True
    if len(words) > _LONG_QUESTION:
        return False
    first = _CLAUSES.split(text.strip(), maxsplit=1)[0]
    first_words = _words(first)
    if not first_words or len(first_words) > _FIRST_CLAUSE:
        return False
    ends_with_mark = text.strip()[len(first) : len(first) + 1] in ("?", "？")
    return (
        ends_with_mark
        or _starts(first_words, _OPENERS)
        or _contains(first_words, _QUESTION_PHRASES)
    )


def _none_clause(text: str) -> bool:
    """Whether the text's last clause says "none at all" with its indefinite word at the end
    ("…, không có vấn đề gì", "…, chưa vi phạm gì"): a statement, as :func:`_says_none` reads
    a whole text."""
    last = _words(_CLAUSES.split(text.strip())[-1] or "")
    return (
        len(last) > 1
        and _starts(last, _NONE_OPENERS)
        and _ends(last, _ANY_CLOSERS)
        and not _contains(last, _KNOWING)
    )


#: Endings that look like a closer but are words: "máu não" (mạch máu não, a cause of death).
_NOT_CLOSERS = frozenset({("mau", "nao")})


def _open_end(words: tuple[_Word, ...]) -> bool:
    return tuple(w.folded for w in words[-2:]) not in _NOT_CLOSERS


def _has_level(words: tuple[_Word, ...]) -> bool:
    """Whether an address level word is typed ("que quan": the item's name, not "quận")."""
    for i, word in enumerate(words):
        if word.folded == "quan" and i > 0 and words[i - 1].folded == "que":
            continue
        if any(_at(words, i, level) for level in _starting(words, i, _LEVELS)):
            return True
    return False


# --- an answer one question off -------------------------------------------------------------


def other_subject(text: str, asked: FieldDef, fields: Iterable[FieldDef]) -> FieldDef | None:
    """The field among ``fields`` whose subjects ``text`` names when it names none of
    ``asked``'s ("tiếng Anh B1" typed at «Tin học»: the foreign language, one question
    late); None when ``asked`` declares no subjects or the text names its own."""
    if not asked.subjects:
        return None
    toned = has_diacritics(text)  # then a subject's diacritics must agree: "lâm" is no "làm"
    key = f" {tone_key(text) if toned else match_key(text)} "
    if _names(key, asked.subjects, toned):
        return None
    return next((f for f in fields if f is not asked and _names(key, f.subjects, toned)), None)


def _names(key: str, subjects: tuple[str, ...], toned: bool) -> bool:
    return any(spelled in key for spelled in _spelled(subjects, toned))


@lru_cache(maxsize=64)
def _spelled(subjects: tuple[str, ...], toned: bool) -> tuple[str, ...]:
    """A field's subjects as matched, " word word " (the form's fields are few: spelled once,
    not at every answer — ``tone_key`` is ≈ 5 µs a phrase)."""
    spell = tone_key if toned else match_key
    return tuple(f" {spell(subject)} " for subject in subjects)
