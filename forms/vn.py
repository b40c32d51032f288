"""Small Vietnamese text helpers shared by the parsers and the gazetteer.

Why a module of its own: every layer that reads what a candidate typed needs the same answers
to "is this the same word?" (NFC vs decomposed input, missing diacritics, old/new tone-mark
placement such as "Hoà"/"Hòa") and "how is this written in the booklet?" (upper case with
correct Vietnamese capitals). Keeping them in one place keeps the parsers, the gazetteer and
the checks consistent.

Nothing here raises on odd input: the helpers accept any ``str`` (and coerce ``None`` to "").
"""

from __future__ import annotations

import re
import unicodedata

from forms.memo import remembered

__all__ = [
    "VIETNAMESE_LETTERS",
    "capitalise_first",
    "clean_text",
    "compact_key",
    "fold",
    "has_diacritics",
    "is_pictograph",
    "is_vietnamese_letter",
    "match_key",
    "nfc",
    "normalise_apostrophes",
    "normalise_tone_marks",
    "one_spelling",
    "title_vi",
    "tone_key",
    "upper_vi",
]

# --- the alphabet ---------------------------------------------------------------------------

_BASE_VOWELS = (
    *("a", "a\u0306", "a\u0302", "e", "e\u0302", "i"),
    *("o", "o\u0302", "o\u031b", "u", "u\u031b", "y"),
)
_TONES = ("", "\u0300", "\u0301", "\u0309", "\u0303", "\u0323")


def _build_letters() -> frozenset[str]:
    lower: set[str] = set("abcdefghijklmnopqrstuvwxyzđ")  # f, j, w, z occur in minority names
    for vowel in _BASE_VOWELS:
        for tone in _TONES:
            lower.add(unicodedata.normalize("NFC", vowel + tone))
    return frozenset(lower | {c.upper() for c in lower})


#: Every letter that can appear in a Vietnamese name written in NFC (both cases).
VIETNAMESE_LETTERS: frozenset[str] = _build_letters()


def is_vietnamese_letter(ch: str) -> bool:
    """True for one NFC character of the Vietnamese alphabet (plus f, j, w, z)."""
    return ch in VIETNAMESE_LETTERS


# --- normalisation --------------------------------------------------------------------------

_APOSTROPHES = str.maketrans(
    {"\u2019": "'", "\u2018": "'", "\u02bc": "'", "`": "'", "\u00b4": "'", "\u2032": "'"}
)
_ZWJ = "\u200d"  # zero-width joiner: kept only inside an emoji sequence (👨‍👩‍👧)
_LINE_BREAKS = {"\r\n": "\n", "\r": "\n", "\u2028": "\n", "\u2029": "\n", "\x85": "\n"}
_SPACES = re.compile(r"[^\S\n]+")


def _as_str(s: object) -> str:
    if isinstance(s, str):
        return s
    return "" if s is None else str(s)


def nfc(s: str) -> str:
    """Compose to NFC: phone keyboards may send decomposed diacritics."""
    # a str (nearly every call) goes straight in: this runs ~7 times per update
    return unicodedata.normalize("NFC", s if isinstance(s, str) else _as_str(s))


def normalise_apostrophes(s: str) -> str:
    """Map typographic apostrophes (’ ‘ ʼ ` ´) to ASCII ``'`` (used in H'Mông, H'Hen)."""
    return _as_str(s).translate(_APOSTROPHES)


def _drop_char(ch: str, multiline: bool) -> bool:
    if ch == "\n":
        return not multiline
    cat = unicodedata.category(ch)
    if cat in ("Cc", "Cs"):
        return True
    if cat == "Cf":
        # keep joiners (judged with their neighbours) and tag characters (subdivision
        # flags); drop BOM, zero-width spaces, soft hyphens, bidi marks and overrides
        return ch != _ZWJ and not ("\U000e0020" <= ch <= "\U000e007f")
    return False


def is_pictograph(ch: str) -> bool:
    """An emoji or pictographic symbol (😀, 👍, ★, ✅): never part of booklet text."""
    if len(ch) != 1:
        return False
    code = ord(ch)
    # symbols of Latin-1 (©, °, ®) are ordinary text
    return 0x1F000 <= code <= 0x1FAFF or (code >= 0x2000 and unicodedata.category(ch) == "So")


_EMOJI_TAIL = frozenset("\ufe0f\ufe0e") | {chr(c) for c in range(0x1F3FB, 0x1F400)}


def _joined(chars: list[str], i: int) -> bool:
    """Whether the joiner at ``chars[i]`` sits between two pictographs (an emoji sequence)."""
    j = i - 1
    while j >= 0 and chars[j] in _EMOJI_TAIL:
        j -= 1
    return j >= 0 and i + 1 < len(chars) and is_pictograph(chars[j]) and is_pictograph(chars[i + 1])


def clean_text(s: str, *, multiline: bool = False) -> str:
    """NFC, drop control/invisible characters, collapse whitespace and trim. Never raises.

    THE cleaning of every entry path (chat answers through the parsers, dossier files through
    :func:`forms.dossier.read_dossier`, CLI arguments): bidi overrides and marks, zero-width
    spaces and joiners (except inside an emoji sequence), BOM, soft hyphens and control
    characters are removed, decomposed (NFD) text is composed. Emoji stay (the checks flag
    them). With ``multiline=True`` single line breaks are kept but blank lines are
    removed, because the booklet forbids skipped lines ("không viết cách dòng").
    """
    text = nfc(s)
    for old, new in _LINE_BREAKS.items():
        text = text.replace(old, new)
    text = text.replace("\t", " ")
    if not multiline:
        text = text.replace("\n", " ")
    printable = text.isprintable()
    if not printable:
        # Only non-printable characters are dropped or turned into spaces: typed text
        # without any (the usual answer) skips the walk character by character.
        kept = [ch for ch in text if not _drop_char(ch, multiline)]
        text = "".join(
            " " if (ch != "\n" and ch.isspace()) else ch
            for i, ch in enumerate(kept)
            if ch != _ZWJ or _joined(kept, i)
        )
    # Printable text has no whitespace but the plain space (every other one is a separator or
    # a control character), so without two spaces in a row there is nothing to collapse;
    # the pattern costs ~10 µs on a typed sentence.
    if not printable or "  " in text:
        text = _SPACES.sub(" ", text)
    if multiline:
        text = "\n".join(line.strip() for line in text.split("\n") if line.strip())
    # removing invisible characters can bring a base letter next to its combining mark
    return unicodedata.normalize("NFC", text.strip()).strip()


# --- matching keys --------------------------------------------------------------------------


def strip_edges(text: str) -> str:
    """A button label or typed answer without the emoji and arrows around it ("⬅️ Quay lại"
    → "Quay lại"): what is not a letter or digit (``[\\W_]``) cut from both ends. A loop over
    the ends, not a pattern: ``[\\W_]+$`` is tried at every position of a long typed answer."""
    text = text.strip()
    start, end = 0, len(text)
    while start < end and not text[start].isalnum():
        start += 1
    while end > start and not text[end - 1].isalnum():
        end -= 1
    return text[start:end]


def fold(s: str) -> str:
    """Lower-case and strip diacritics (đ → d) for matching text typed without accents."""
    # a str (nearly every call) goes straight to the cache: ~15 calls per update, where a
    # call of ``_as_str`` cost as much as the cache's hit
    return _fold(s if isinstance(s, str) else _as_str(s))


#: 2 048, not 8 192 (issue 17, memory): the hot texts are few (labels, options, a person's
#: recent answers); at N = 500 2 048 entries keep 99.2 % of the hits of 8 192 (1 559 332 of
#: 1 571 039), ≈ 0.25 µs of CPU per update more, ≈ 1.9 MB less.
@remembered(maxsize=2048)
def _fold(s: str) -> str:
    text = unicodedata.normalize("NFD", s.replace("đ", "d").replace("Đ", "D"))
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    return unicodedata.normalize("NFC", text).casefold()


#: A syllable's last "y" after these consonants is its "i" spelled the other standard way
#: ("ký"/"kí", "lý"/"lí", "Mỹ"/"Mĩ", "sỹ"/"sĩ", "tỷ"/"tỉ", "hy"/"hi"): both
#: spellings read as one word where :func:`one_spelling` is asked, never rewritten in an
#: answer. Not after qu ("chính quy" is the data's spelling), v, th or n: "Vy" and "Vi",
#: "Thy" and "Thi" are different names.
_FINAL_Y = re.compile(r"\b(h|k|l|m|s|t)y\b")
_FINAL_Y_TONED = re.compile(r"\b(h|k|l|m|s|t)([yýỳỷỹỵ])\b")
_Y_AS_I = str.maketrans("yýỳỷỹỵ", "iíìỉĩị")
_TONED_Y_END = re.compile(r"[yýỳỷỹỵ]\b")  # a word's last letter: most texts have none


def _y_as_i(m: re.Match[str]) -> str:
    return m.group(1) + m.group(2).translate(_Y_AS_I)


_WORDS = re.compile(r"[^\W_]+")
#: ASCII's non-alphanumeric characters (``_`` too) as spaces: a folded text is almost always
#: ASCII, where this table does what ``_WORDS`` does, several times faster on a long answer.
_ASCII_GAPS = {code: " " for code in range(128) if not chr(code).isalnum()}


def match_key(s: str) -> str:
    """Folded words separated by single spaces: "Ê-đê" → "e de", "H'Mông" → "h mong"."""
    folded = fold(s)
    if folded.isascii():
        return " ".join(folded.translate(_ASCII_GAPS).split())
    return " ".join(_WORDS.findall(folded))


def one_spelling(key: str) -> str:
    """A :func:`match_key` or :func:`tone_key` with a syllable's last "i"/"y" spelled one way
    ("dang ky" → "dang ki", "đăng ký" → "đăng kí"): for reading a name of the form's (an
    item, a command, a place to copy) whichever way a person spells it. Not in :func:`fold`
    itself: the folded words written in the code and the data ("ky su", "nhiem ky") keep
    their spelling."""
    if key.isascii():
        return _FINAL_Y.sub(r"\1i", key) if "y" in key else key
    return _FINAL_Y_TONED.sub(_y_as_i, key) if _TONED_Y_END.search(key) else key


def compact_key(s: str) -> str:
    """Folded letters and digits only: "Ê-đê" → "ede", "H'Mông" → "hmong", "Hà Nội" → "hanoi"."""
    return match_key(s).replace(" ", "")


#: The letters :func:`has_diacritics` looks for: those of the alphabet that are not a plain
#: a–z once lower-cased (ă â đ ê ô ơ ư and every toned vowel, both cases).
_MARKED_LETTERS: frozenset[str] = frozenset(
    ch for ch in VIETNAMESE_LETTERS if ch.lower() not in "abcdefghijklmnopqrstuvwxyz"
)


def has_diacritics(s: str) -> bool:
    """True if any letter carries a Vietnamese diacritic (or is đ/Đ).

    A set test over the text's characters rather than a Python loop over them: it runs
    ~3 times per update, on every word of a typed answer the framing reads."""
    return not _MARKED_LETTERS.isdisjoint(s if isinstance(s, str) else _as_str(s))


# Old-style tone placement ("hoà", "thuỷ") vs the style used in official lists ("hòa", "thủy").
_TONED = "àáảãạèéẻẽẹỳýỷỹỵ"
_TONE_MARKS = ("\u0300", "\u0301", "\u0309", "\u0303", "\u0323")
_TONE_OF: dict[str, tuple[str, str]] = {}
for _i, _ch in enumerate(_TONED):
    _TONE_OF[_ch] = ("aey"[_i // 5], _TONE_MARKS[_i % 5])
    _TONE_OF[_ch.upper()] = ("AEY"[_i // 5], _TONE_MARKS[_i % 5])
_OLD_STYLE = re.compile(r"([oO])([àáảãạèéẻẽẹÀÁẢÃẠÈÉẺẼẸ])(?!\w)|(?<![qQ])([uU])([ỳýỷỹỵỲÝỶỸỴ])(?!\w)")


def _move_tone(m: re.Match[str]) -> str:
    first = m.group(1) or m.group(3)
    plain, tone = _TONE_OF[m.group(2) or m.group(4)]
    return unicodedata.normalize("NFC", first + tone) + plain


def normalise_tone_marks(s: str) -> str:
    """Rewrite old-style tone placement to the modern one: "Hoà" → "Hòa", "Thuỷ" → "Thủy".

    Only word-final "oa", "oe", "uy" (not after q) are affected, which is where the two styles
    differ. Used for comparing names, never for rewriting what the candidate wrote.
    """
    return _OLD_STYLE.sub(_move_tone, nfc(s))


def tone_key(s: str) -> str:
    """Accent-sensitive matching key: lower case, modern tone placement, no punctuation."""
    text = normalise_tone_marks(nfc(s).lower())
    return " ".join(_WORDS.findall(text))


# --- case -----------------------------------------------------------------------------------


def upper_vi(s: str) -> str:
    """Upper case in NFC ("nguyễn văn đức" → "NGUYỄN VĂN ĐỨC")."""
    return unicodedata.normalize("NFC", nfc(s).upper())


def capitalise_first(s: str) -> str:
    """Upper-case the first letter only, leaving the rest as typed."""
    text = nfc(s)
    for i, ch in enumerate(text):
        if ch.isalpha():
            return text[:i] + ch.upper() + text[i + 1 :]
    return text


def title_vi(s: str) -> str:
    """Capitalise each space-separated word ("lê thị hoàng my" → "Lê Thị Hoàng My").

    Unlike ``str.title`` it does not capitalise after an apostrophe or hyphen, so "h'mông"
    becomes "H'mông" and "gia-rai" becomes "Gia-rai".
    """
    words = nfc(s).split(" ")
    return unicodedata.normalize(
        "NFC", " ".join(w[:1].upper() + w[1:].lower() if w else w for w in words)
    )
