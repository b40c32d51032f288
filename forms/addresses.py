"""Address analysis for items (5), (6) and (7) after the 2025 administrative reform.

Since 01/7/2025 Viet Nam has 34 province-level units and no district level; communes were
merged. HD 38-HD/BTCTW asks that the birth-registration place (5) and the hometown (6) be
written as on the birth certificate, with the NEW name first and the OLD one in brackets:
"xã Vĩnh Thủy, tỉnh Quảng Trị (trước đây là xã Vĩnh Thủy, huyện Vĩnh Linh, tỉnh Quảng Trị)";
the residence (7) uses only number/thôn/tổ dân phố + xã/phường/đặc khu + tỉnh/thành phố.

Gazetteer data — library decision
---------------------------------
Two PyPI packages were evaluated (installed versions: vietnamadminunits 1.0.4, vietnam-provinces
2025.10.1).

* **vietnamadminunits** (MIT): ships the 63-province data set with districts and 10 035
  communes, the 34-province data set with 3 321 communes, and the old→new mapping for every
  pre-2025 commune, including communes split between several new ones (with a default). Its
  own parser matches squashed, accent-less substrings and gives false hits on the texts this
  bot sees ("thai binh" → a ward in Thanh Hóa, "xã Hải Minh, huyện Hải Châu, tỉnh Nam Định" →
  Hà Nội); importing it pulls geopy/shapely and loads every JSON file (~0.3 s), and
  ``convert_address`` geocodes over the network (ArcGIS) for split communes when a street is
  given — unacceptable in a bot.
* **vietnam-provinces** (GPL-3.0 upstream; no licence in this wheel): accurate 34-province
  list from the statistics office, but this version has no pre-2025 data and no mapping, so it
  cannot recognise "huyện Vĩnh Linh" or say that Thái Bình is now Hưng Yên. (Upstream added
  legacy data in 2026 releases that need Python ≥ 3.12; not available here.)

We therefore use **vietnamadminunits' data only**: its SQLite data set (``dataset.db``, the
documented data API) and ``converter_2025.json`` are read directly, without importing the
package, and matched by our own token-aligned, level-aware matcher below. Loading is lazy
(first call, ~0.15 s, or :func:`preload` from a background task); later calls take ~0.2 ms
(≤ ~12 ms for 400 characters of garbage). Because we read the package's data files, its
version should be pinned in pyproject. A small alias table (``forms/data/place_aliases.toml``)
adds colloquial names (Sài Gòn, HCM) and names older than the 63 provinces (Hà Tây, Thừa
Thiên Huế).

Checked against the whole data set: every one of the 10 035 pre-2025 communes written as
"xã X, huyện Y, tỉnh Z" (with and without diacritics) maps to the library's successor, except
16 pairs that only diacritics tell apart (Minh Quán/Minh Quân) when typed without them; those
are reported as ``ambiguous_commune``. Names are as of just before 07/2025: a district that
changed type earlier (Hà Đông: thành phố of Hà Tây, later quận of Hà Nội) is shown with its
2025 type.

How the text is read
--------------------
Units are found right-to-left: province, then district, then commune, each one left of the
higher one. A unit is accepted when it follows its level marker (xã/phường/thị trấn/đặc khu,
huyện/quận/thị xã/thành phố, tỉnh/thành phố, and the abbreviations X., P., TT, H., Q., TX,
TP, T.) or, without a marker, when it is a known name written right before the higher unit.
Names after a marker that the gazetteer does not know (the domain samples use invented
communes) are kept as typed, so the province-level result still comes out.
"""

from __future__ import annotations

import contextlib
import difflib
import importlib.util
import json
import logging
import re
import sqlite3
import threading
import tomllib
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Literal

from forms import texts
from forms.memo import remembered
from forms.vn import (
    clean_text,
    compact_key,
    fold,
    has_diacritics,
    normalise_apostrophes,
    title_vi,
    tone_key,
)

__all__ = [
    "AddressAnalysis",
    "Kind",
    "Place",
    "analyse_address",
    "current_names",
    "current_provinces",
    "place_spellings",
    "preload",
]

log = logging.getLogger(__name__)

Kind = Literal["origin", "residence"]
#: a commune-level word, folded: a residence is written with its commune (HD 38, item 7)
_COMMUNE_WORD = re.compile(r"\b(?:xa|phuong|thi tran|dac khu)\s")

DATA_DIR = Path(__file__).resolve().parent / "data"


# --- public result types --------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Place:
    """One administrative unit as it should be written: ``unit`` word + ``name``.

    ``known`` is False when the name is not in the gazetteer and was kept as typed.
    """

    unit: str | None  # "xã", "phường", "đặc khu", "thị trấn", "huyện", "quận", "thị xã", ...
    name: str
    known: bool = True

    def __str__(self) -> str:
        return f"{self.unit} {self.name}" if self.unit else self.name


@dataclass(frozen=True, slots=True)
class AddressAnalysis:
    """What :func:`analyse_address` found.

    ``province``/``commune`` are the current (post-07/2025) units; ``old_*`` the pre-2025 units
    written in the text (in the bracket, for "new (trước đây là old)" texts). ``problems``
    are rule findings for the checks layer; ``notes`` are informational (see the keys in
    :data:`PROBLEM_KEYS` and :data:`NOTE_KEYS`).
    """

    text: str
    kind: Kind
    province: Place | None = None
    commune: Place | None = None
    old_province: Place | None = None
    old_district: Place | None = None
    old_commune: Place | None = None
    detail: str = ""
    uses_old_names: bool = False
    has_bracket: bool = False
    has_required_levels: bool = False
    suggestion: str | None = None
    old_options: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    #: Names written after a level word that the gazetteer does not know ("xã Long Hung",
    #: "huyện Van Giag"): said plainly (problem ``place_not_found``), never turned into a
    #: "new name"; ``closest`` holds the nearest real names, best first.
    not_found: list[str] = field(default_factory=list)
    closest: list[str] = field(default_factory=list)

    def messages(self) -> list[str]:
        """Vietnamese explanations of ``problems`` (plus a stale commune name), for the chat.

        They do not repeat the text; show ``suggestion`` next to them (e.g. as a button).
        """
        keys = [*self.problems, *(k for k in self.notes if k in _USER_NOTES)]
        return [texts.message(f"parse.address.{key}") for key in keys]


#: Problem keys: rule findings that follow from the text's structure and from province names
#: (stable facts). Commune-level findings depend on how current and complete the commune data
#: is (and the domain samples use invented communes), so they are in NOTE_KEYS instead.
PROBLEM_KEYS: dict[str, str] = {
    "empty": "nothing written",
    "missing_commune": "no xã/phường/đặc khu (or pre-2025 commune) level",
    "missing_province": "no tỉnh/thành phố level",
    "old_name_without_new": "origin written with pre-2025 names only; suggestion has new (old)",
    "new_name_without_old": "origin written with current names but no '(trước đây là …)'",
    "main_part_not_current": "part before the bracket has a district or a pre-2025 province",
    "bracket_not_old": "the bracket holds no pre-2025 name (no district, old province/commune)",
    "bracket_mismatch": "the bracket's old province did not become the province before it",
    "bracket_reversed": "written 'old (nay là new)'; HD 38 wants 'new (trước đây là old)'",
    "district_in_residence": "residence written with a district (there is none since 07/2025)",
    "old_name_in_residence": "residence uses a pre-2025 province or a 'thị trấn'",
    "bracket_in_residence": "residence has a '(trước đây là …)' bracket; only current names",
    "unknown_province": "the name after tỉnh/thủ đô is not a province (old or new): a typo?",
    "institution": "an origin written as a hospital or clinic, not as place names",
    "place_not_found": "a commune or district not in the gazetteer (see not_found, closest)",
}
_USER_NOTES = ("commune_not_current",)
NOTE_KEYS: dict[str, str] = {
    "commune_not_current": "the commune given as current is known only as a pre-2025 commune",
    "bracket_commune_mismatch": "the bracket's old commune did not become the commune before it",
    "unknown_commune": "commune not in the gazetteer; kept as typed",
    "unknown_district": "district not in the gazetteer; kept as typed",
    "ambiguous_commune": "several communes of that name; not resolved",
    "commune_split": "the old commune was split; the suggestion uses the main successor",
    "commune_unverified": "suggested new commune = old name (old commune not in gazetteer)",
    "province_inferred": "province not written; inferred from the district/commune",
    "abbreviation": "abbreviations (TP, P., X., TX, HCM…) used; the booklet wants full names",
    "no_diacritics": "some names typed without diacritics; the suggestion restores them",
    "gazetteer_unavailable": "gazetteer data could not be loaded; only structure was checked",
    "truncated": "text longer than 400 characters; only the start was read",
}


# --- gazetteer ------------------------------------------------------------------------------


@dataclass(eq=False, slots=True)
class _Unit:
    level: str  # "province" | "district" | "commune"
    era: str  # "old" (63 provinces) | "new" (34 provinces)
    unit: str  # lower-case unit word
    name: str
    parent: _Unit | None = None
    alias_of: _Unit | None = None  # historical province name → the 63-province unit
    acc: str = ""

    @property
    def real(self) -> _Unit:
        return self.alias_of or self

    def place(self) -> Place:
        return Place(self.unit, self.name)


_UNIT_WORDS = (
    "thành phố",
    "thị trấn",
    "thị xã",
    "đặc khu",
    "phường",
    "quận",
    "huyện",
    "tỉnh",
    "xã",
)


def _split_unit(full: str) -> tuple[str, str]:
    """ "Thành phố Hà Nội" → ("thành phố", "Hà Nội")."""
    low = full.lower()
    for word in _UNIT_WORDS:
        if low.startswith(word + " "):
            return word, full[len(word) + 1 :].strip()
    return "", full.strip()


_SUFFIX = re.compile(r"\s*\([^()]*\)\s*$")


def _short(name: str, unit: str) -> str:
    """Strip the unit word ("Quận 1" → "1") and the data set's disambiguating suffix
    ("Yên Viên (Thị trấn)" → "Yên Viên"; the unit word tells them apart)."""
    name = _SUFFIX.sub("", name).strip() or name
    if unit and name.lower().startswith(unit + " "):
        return name[len(unit) + 1 :].strip()
    return name


def _read_data(data_dir: Path) -> tuple[list[tuple], list[tuple], dict]:
    """The library's two data sets (rows of the 63- and 34-province tables) and its
    old → new conversion table."""
    uri = (data_dir / "dataset.db").resolve().as_uri() + "?mode=ro"
    with sqlite3.connect(uri, uri=True) as conn:
        legacy = conn.execute(
            "SELECT provinceKey, province, provinceKeywords, districtKey, districtShort,"
            " districtType, wardKey, ward, wardShort FROM admin_units_legacy"
        ).fetchall()
        current = conn.execute(
            "SELECT provinceKey, province, provinceKeywords, wardKey, ward, wardShort"
            " FROM admin_units"
        ).fetchall()
    conv = json.loads((data_dir / "converter_2025.json").read_text(encoding="utf-8"))
    return legacy, current, conv


def _commune(era: str, full: str, short: str | None, parent: _Unit) -> _Unit:
    unit, name = _split_unit(full)
    name = _short(short or name, unit)
    return _Unit("commune", era, unit or "xã", name, parent, acc=tone_key(name).replace(" ", ""))


@dataclass(slots=True)
class _OldUnits:
    """The pre-2025 units by the data set's keys, while loading."""

    provinces: dict[str, _Unit] = field(default_factory=dict)
    districts: dict[tuple[str, str], _Unit] = field(default_factory=dict)
    communes: dict[tuple[str, str, str], _Unit] = field(default_factory=dict)

    def of(self, triple: str) -> tuple[_Unit | None, _Unit | None]:
        """(district, commune) of a conversion key "province_district_commune"."""
        pkey, dkey, wkey = [*triple.split("_", 2), "", ""][:3]
        return self.districts.get((pkey, dkey)), self.communes.get((pkey, dkey, wkey))


@dataclass(slots=True)
class _NewUnits:
    """The current units by the data set's keys, while loading."""

    provinces: dict[str, _Unit] = field(default_factory=dict)
    communes: dict[tuple[str, str], _Unit] = field(default_factory=dict)


class _Gazetteer:
    def __init__(self) -> None:
        self.provinces: dict[str, list[_Unit]] = defaultdict(list)
        self.informal_keys: set[str] = set()
        self.new_provinces: list[_Unit] = []
        self.old_to_new_province: dict[_Unit, _Unit] = {}
        self.new_to_old_provinces: dict[_Unit, list[_Unit]] = defaultdict(list)
        self.districts: dict[_Unit, dict[str, list[_Unit]]] = defaultdict(lambda: defaultdict(list))
        self.districts_all: dict[str, list[_Unit]] = defaultdict(list)
        self.old_by_district: dict[_Unit, dict[str, list[_Unit]]] = defaultdict(
            lambda: defaultdict(list)
        )
        self.old_by_province: dict[_Unit, dict[str, list[_Unit]]] = defaultdict(
            lambda: defaultdict(list)
        )
        self.new_by_province: dict[_Unit, dict[str, list[_Unit]]] = defaultdict(
            lambda: defaultdict(list)
        )
        self.old_communes_all: dict[str, list[_Unit]] = defaultdict(list)
        self.new_communes_all: dict[str, list[_Unit]] = defaultdict(list)
        self.old_to_new: dict[_Unit, list[tuple[_Unit, bool]]] = defaultdict(list)
        self.new_to_old: dict[_Unit, list[_Unit]] = defaultdict(list)
        self.district_to_new: dict[_Unit, _Unit] = {}
        self.max_tokens = 1
        self.available = False

    # building ------------------------------------------------------------------------------

    def _key(self, name: str) -> str:
        key = compact_key(name)
        self.max_tokens = max(self.max_tokens, len(fold(name).split()) + 2)
        return key

    def load(self, data_dir: Path) -> None:
        legacy, current, conv = _read_data(data_dir)
        old = self._load_legacy(legacy)
        new = self._load_current(current)
        self._load_province_merger(conv["DICT_PROVINCE"], old, new)
        self._load_commune_merger(conv, old, new)
        for succ in self.old_to_new.values():
            succ.sort(key=lambda pair: not pair[1])  # default successor first
        self._load_aliases(old.provinces, new.provinces)
        self.available = True

    def _load_legacy(self, rows: list[tuple]) -> _OldUnits:
        """The 63-province data set: provinces, districts and communes before 07/2025."""
        old = _OldUnits()
        for pkey, pfull, pkw, dkey, dshort, dtype, wkey, wfull, wshort in rows:
            prov = old.provinces.get(pkey)
            if prov is None:
                prov = old.provinces[pkey] = self._province(pfull, pkw, "old")
            dist = old.districts.get((pkey, dkey))
            if dist is None:
                dist = old.districts[(pkey, dkey)] = self._district(prov, dshort, dtype)
            if not wkey or not wfull:
                continue
            ward = old.communes[(pkey, dkey, wkey)] = _commune("old", wfull, wshort, dist)
            key = self._key(ward.name)
            self.old_by_district[dist][key].append(ward)
            self.old_by_province[prov][key].append(ward)
            self.old_communes_all[key].append(ward)
        return old

    def _district(self, prov: _Unit, short: str, unit_type: str | None) -> _Unit:
        unit = (unit_type or "").lower()
        name = _short(short, unit)
        dist = _Unit("district", "old", unit, name, prov, acc=tone_key(name).replace(" ", ""))
        key = self._key(name)
        self.districts[prov][key].append(dist)
        self.districts_all[key].append(dist)
        return dist

    def _load_current(self, rows: list[tuple]) -> _NewUnits:
        """The 34-province data set: provinces and communes since 07/2025."""
        new = _NewUnits()
        for pkey, pfull, pkw, wkey, wfull, wshort in rows:
            prov = new.provinces.get(pkey)
            if prov is None:
                prov = new.provinces[pkey] = self._province(pfull, pkw, "new")
                self.new_provinces.append(prov)
            ward = new.communes[(pkey, wkey)] = _commune("new", wfull, wshort, prov)
            key = self._key(ward.name)
            self.new_by_province[prov][key].append(ward)
            self.new_communes_all[key].append(ward)
        return new

    def _load_province_merger(
        self, merged: dict[str, list[str]], old: _OldUnits, new: _NewUnits
    ) -> None:
        for npkey, old_keys in merged.items():
            for opkey in old_keys:
                if npkey in new.provinces and opkey in old.provinces:
                    self.old_to_new_province[old.provinces[opkey]] = new.provinces[npkey]
                    self.new_to_old_provinces[new.provinces[npkey]].append(old.provinces[opkey])

    def _load_commune_merger(self, conv: dict, old: _OldUnits, new: _NewUnits) -> None:
        """Old commune → new commune(s): whole communes first, then the split ones (each
        successor marked default or not)."""
        for npkey, wards in conv["DICT_PROVINCE_WARD_NO_DIVIDED"].items():
            for nwkey, triples in wards.items():
                target = new.communes.get((npkey, nwkey))
                if target is None:
                    continue
                for triple in triples:
                    dist, ward = old.of(triple)
                    if ward is not None:
                        self.old_to_new[ward].append((target, True))
                        self.new_to_old[target].append(ward)
                    elif dist is not None:  # island districts without communes → đặc khu
                        self.district_to_new[dist] = target
        for npkey, divided in conv["DICT_PROVINCE_WARD_DIVIDED"].items():
            for triple, targets in divided.items():
                _, ward = old.of(triple)
                if ward is None:
                    continue
                for t in targets:
                    target = new.communes.get((npkey, t["newWardKey"]))
                    if target is not None:
                        self.old_to_new[ward].append((target, bool(t["isDefaultNewWard"])))
                        self.new_to_old[target].append(ward)

    def _province(self, full: str, keywords_json: str | None, era: str) -> _Unit:
        unit, name = _split_unit(full)
        prov = _Unit("province", era, unit or "tỉnh", name, acc=tone_key(name).replace(" ", ""))
        keys = {self._key(name)}
        with contextlib.suppress(ValueError):
            keywords = json.loads(keywords_json or "[]")
            keys |= {k for k in keywords if isinstance(k, str) and k.isascii()}
        for key in keys:
            if (
                key.startswith(("tinh", "thanhpho"))
                and key.removeprefix("tinh").removeprefix("thanhpho") in keys
            ):
                continue  # "tinhthaibinh": marker + name is handled by the marker logic
            self.provinces[key].append(prov)
            if len(key) <= 3:
                self.informal_keys.add(key)
        return prov

    def _load_aliases(self, old_prov: dict[str, _Unit], new_prov: dict[str, _Unit]) -> None:
        data = tomllib.loads((DATA_DIR / "place_aliases.toml").read_text(encoding="utf-8"))
        by_name: dict[str, list[_Unit]] = defaultdict(list)
        for prov in (*old_prov.values(), *new_prov.values()):
            by_name[compact_key(prov.name)].append(prov)
        for alias, target in data.get("informal", {}).items():
            key = compact_key(alias)
            for prov in by_name.get(compact_key(target), []):
                if prov not in self.provinces[key]:
                    self.provinces[key].append(prov)
            if key not in by_name:
                self.informal_keys.add(key)
            self.max_tokens = max(self.max_tokens, len(fold(alias).split()) + 2)
        for alias, (unit, target) in data.get("historical", {}).items():
            real = next((p for p in by_name.get(compact_key(target), []) if p.era == "old"), None)
            if real is None:
                continue
            name = alias if alias.upper() != alias else target
            hist = _Unit(
                "province", "old", unit, name, alias_of=real, acc=tone_key(name).replace(" ", "")
            )
            self.provinces[compact_key(alias)].append(hist)
            if real in self.old_to_new_province:
                self.old_to_new_province[hist] = self.old_to_new_province[real]


_GAZETTEER: _Gazetteer | None = None
_LOCK = threading.Lock()


def _library_data_dir() -> Path | None:
    """Where vietnamadminunits keeps its data, found without importing the package."""
    try:
        spec = importlib.util.find_spec("vietnamadminunits")
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations))) / "data"


def _gazetteer() -> _Gazetteer:
    global _GAZETTEER
    if _GAZETTEER is not None:
        return _GAZETTEER
    with _LOCK:
        if _GAZETTEER is None:
            gaz = _Gazetteer()
            data_dir = _library_data_dir()
            try:
                if data_dir is None:
                    raise FileNotFoundError("vietnamadminunits is not installed")
                gaz.load(data_dir)
            except (OSError, sqlite3.Error, ValueError, KeyError, TypeError) as exc:
                log.warning("address gazetteer unavailable: %s", exc)
                gaz = _Gazetteer()
            _GAZETTEER = gaz
    return _GAZETTEER


def preload() -> None:
    """Load the gazetteer now (e.g. from a background task after the bot has started)."""
    _gazetteer()


_SPELLINGS: dict[str, str] | None = None


def place_spellings() -> dict[str, str]:
    """Every place name of two words or more (provinces, districts, communes, old and new)
    by its folded words: "hung yen" → "Hưng Yên", "van giang" → "Văn Giang". A folded
    spelling written two ways ("Minh Quán"/"Minh Quân") is left out: nothing guesses."""
    global _SPELLINGS
    if _SPELLINGS is None:
        gaz = _gazetteer()
        spellings: dict[str, str] = {}
        # a province or district name wins over a commune's ("Văn Giang" the district, not
        # the ward "Vân Giang"); two spellings at the same level leave the words out
        levels = (gaz.provinces, gaz.districts_all, gaz.new_communes_all, gaz.old_communes_all)
        for group in levels:
            found: dict[str, set[str]] = defaultdict(set)
            for units in group.values():
                for unit in units:
                    key = " ".join(fold(unit.name).split())
                    if " " in key and has_diacritics(unit.name) and key not in spellings:
                        found[key].add(unit.name)
            spellings.update({k: next(iter(v)) for k, v in found.items() if len(v) == 1})
        _SPELLINGS = spellings
    return _SPELLINGS


def current_provinces() -> list[str]:
    """The 34 current province-level names ("Hà Nội", "Hưng Yên", …)."""
    return [p.name for p in _gazetteer().new_provinces]


# --- tokens and markers ---------------------------------------------------------------------


@dataclass(slots=True)
class _Tok:
    f: str  # folded
    a: str  # accent-sensitive key
    start: int
    end: int
    seg: int
    raw: str
    strict: bool  # the text was typed with diacritics: a bare "Thanh" means Thanh, not Thạnh
    marked: bool  # this word was typed with diacritics (a marker's must then agree)


class _Tokens(list[_Tok]):
    """The words of one text, with the level marker ending before each word remembered
    (:func:`_marker_before`): reading a part asks it of the same word up to six times
    (the province, the district, the commune, the names owned by markers…), so it is
    worked out once per word. A new text gets new tokens, so nothing outlives its reading."""

    __slots__ = ("markers",)

    def __init__(self) -> None:
        super().__init__()
        self.markers: dict[int, _Marker | None] = {}


_TOKEN = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)*|[0-9]+")
_SEG_BREAK = re.compile(r"[,;:()\[\]\n|]")


def _tokens(text: str) -> _Tokens:
    toks = _Tokens()
    seg, prev = 0, 0
    strict = has_diacritics(text)
    for m in _TOKEN.finditer(text):
        if toks and _SEG_BREAK.search(text, prev, m.start()):
            seg += 1
        raw = m.group()
        plain = raw.replace("'", "")  # "H'Leo" is one word; keys have no apostrophes
        marked = strict and not raw.isascii() and has_diacritics(raw)  # ASCII: none
        toks.append(
            _Tok(fold(plain), tone_key(plain), m.start(), m.end(), seg, raw, strict, marked)
        )
        prev = m.end()
    return toks


# Level markers as written in full → (level, unit word); "city" = thành phố, which may be a
# province or a district. Matching uses the folded words; when the candidate typed diacritics
# they must agree, so "Quản Bạ" or "Phúc Xá" are names, not "quận"/"xã".
_MARKER_WORDS: dict[str, tuple[str, str]] = {
    "tỉnh": ("province", "tỉnh"), "t": ("province", "tỉnh"),
    "thủ đô": ("province", "thành phố"),
    "thành phố": ("city", "thành phố"), "tp": ("city", "thành phố"), "t p": ("city", "thành phố"),
    "huyện": ("district", "huyện"), "h": ("district", "huyện"),
    "quận": ("district", "quận"), "q": ("district", "quận"),
    "thị xã": ("district", "thị xã"), "tx": ("district", "thị xã"),
    "xã": ("commune", "xã"), "x": ("commune", "xã"),
    "phường": ("commune", "phường"), "p": ("commune", "phường"),
    "thị trấn": ("commune", "thị trấn"), "tt": ("commune", "thị trấn"),
    "đặc khu": ("commune", "đặc khu"),
}  # fmt: skip
_DETAIL_WORDS: tuple[str, ...] = (
    "thôn", "xóm", "ấp", "bản", "buôn", "làng", "sóc", "phum", "khóm", "khu", "tổ", "tdp",
    "tổ dân phố", "khu phố", "kp", "số", "sn", "số nhà", "đường", "phố", "ngõ", "ngách", "hẻm",
    "kiệt", "kđt", "khu đô thị", "chung cư", "tòa", "nhà", "ql", "quốc lộ", "tỉnh lộ", "đt",
    "cụm", "đội", "khu tập thể",
)  # fmt: skip
#: A birthplace written as the institution, as a birth certificate's «Nơi sinh» reads it:
#: a detail, never the commune ("Bệnh viện Phụ sản Hà Nội" names no xã/phường), and at (5),
#: (6) or a relative's birthplace no place name at all (``institution``).
_INSTITUTION_WORDS = (
    "bệnh viện", "bv", "bvđk", "nhà hộ sinh", "trạm y tế", "trạm xá", "phòng khám", "khoa sản",
    "trung tâm", "ttyt", "nhà thương",
)  # fmt: skip
_DETAIL_WORDS += _INSTITUTION_WORDS
_INSTITUTION = re.compile(r"^(?:" + "|".join(fold(w) for w in _INSTITUTION_WORDS) + r")\b")
_ABBREVIATIONS = {"t", "tp", "t p", "h", "q", "tx", "x", "p", "tt"}


def _marker_table() -> dict[tuple[str, ...], tuple[str, str, tuple[str, ...]]]:
    table: dict[tuple[str, ...], tuple[str, str, tuple[str, ...]]] = {}
    for word in _DETAIL_WORDS:
        table[tuple(fold(word).split())] = ("detail", "", tuple(word.split()))
    for word, (level, unit) in _MARKER_WORDS.items():
        table[tuple(fold(word).split())] = (level, unit, tuple(word.split()))
    return table


_MARKERS = _marker_table()
#: The last word of every marker: most typed words end none, and are passed over by this
#: one look-up (:func:`_marker_at` is asked of every span of up to three words, often twice).
_MARKER_ENDS = frozenset(words[-1] for words in _MARKERS)


@dataclass(slots=True)
class _Marker:
    level: str  # province | city | district | commune | detail
    unit: str
    start: int  # token index of the first marker token
    end: int  # token index after the marker
    abbreviated: bool


def _marker_at(toks: _Tokens, j: int, i: int) -> tuple[str, str] | None:
    """(level, unit) if ``toks[j:i]`` is a marker as typed (diacritics, if any, must agree)."""
    if toks[i - 1].f not in _MARKER_ENDS or toks[j].seg != toks[i - 1].seg:
        return None
    entry = _MARKERS.get(tuple(t.f for t in toks[j:i]))
    if entry is None:
        return None
    level, unit, accented = entry
    for tok, word in zip(toks[j:i], accented, strict=True):
        if tok.marked and tok.a != word:
            return None
    return level, unit


def _marker_before(toks: _Tokens, i: int) -> _Marker | None:
    """The marker whose last token is ``toks[i-1]`` (:func:`_marker_ending`), worked out
    once per text (see :class:`_Tokens`)."""
    markers = toks.markers
    if i not in markers:
        markers[i] = _marker_ending(toks, i, depth=0)
    return markers[i]


def _marker_ending(toks: _Tokens, i: int, *, depth: int) -> _Marker | None:
    """The marker whose last token is ``toks[i-1]`` (longest first, so "thị xã" beats "xã").

    Unit words are also name syllables ("Quản Bạ", "Tân Xã", "Văn Quan"), and without
    diacritics they look the same. A unit word needs a name after it in its segment; right
    after another unit word it starts the name ("xa quan ba": xã Quản Bạ); after a name and
    before another unit word it ends the name ("tho quan quan dong da": Thổ Quan, quận …).
    """
    for length in (3, 2, 1):
        j = i - length
        if j < 0:
            continue
        found = _marker_at(toks, j, i)
        if found is None:
            continue
        level, unit = found
        if level != "detail":
            if i >= len(toks) or toks[i].seg != toks[i - 1].seg:
                continue  # nothing follows in its segment: "Thổ Quan, quận Đống Đa"
            name_before = j > 0 and toks[j - 1].seg == toks[j].seg and not _ends_marker(toks, j)
            if name_before and _level_marker_starts(toks, i):
                continue  # "tho quan quan dong da": the first "quan" ends a name
        if depth < 2 and level != "detail":
            before = _marker_ending(toks, j, depth=depth + 1)
            if before is not None and before.level != "detail":
                continue
        words = " ".join(t.f for t in toks[j:i])
        return _Marker(level, unit, j, i, words in _ABBREVIATIONS)
    return None


def _ends_marker(toks: _Tokens, j: int) -> bool:
    """Some marker (any level, as typed) ends right before ``toks[j]``."""
    return any(j - n >= 0 and _marker_at(toks, j - n, j) is not None for n in (1, 2, 3))


def _level_marker_starts(toks: _Tokens, i: int) -> bool:
    """A province/district/commune marker begins at ``toks[i]`` (same segment as before)."""
    if i >= len(toks) or i == 0 or toks[i].seg != toks[i - 1].seg:
        return False
    for length in (3, 2, 1):
        if i + length <= len(toks):
            found = _marker_at(toks, i, i + length)
            if found is not None and found[0] != "detail":
                return True
    return False


def _starts_marker(toks: _Tokens, j: int, limit: int) -> bool:
    return any(
        j + length <= limit and _marker_at(toks, j, j + length) is not None for length in (3, 2, 1)
    )


def _starts_detail(toks: _Tokens, j: int, limit: int) -> bool:
    return any(
        j + length <= limit and (_marker_at(toks, j, j + length) or ("",))[0] == "detail"
        for length in (3, 2, 1)
    )


def _markers_in(toks: _Tokens, hi: int, levels: set[str]) -> list[_Marker]:
    """Markers of the given levels that end before token ``hi``, left to right."""
    found = []
    for i in range(1, hi + 1):
        m = _marker_before(toks, i)
        if m and m.level in levels:
            found.append(m)
    return found


def _boundary(toks: _Tokens, j: int, hi: int) -> bool:
    """A name may end before token ``j``: at ``hi``, a segment break or a marker."""
    return j >= hi or toks[j].seg != toks[j - 1].seg or _starts_marker(toks, j, hi)


def _region_end(toks: _Tokens, i: int, hi: int) -> int:
    """End of a typed (unknown) name starting at token ``i``."""
    j = i + 1
    while j < hi and not _boundary(toks, j, hi):
        j += 1
    return min(j, hi)


def _window_key(toks: _Tokens, i: int, j: int) -> str:
    return "".join(t.f for t in toks[i:j])


def _window_keys(toks: _Tokens, i: int, hi: int) -> list[tuple[int, str]]:
    """(j, :func:`_window_key` of ``toks[i:j]``) for each ``j`` up to ``hi`` that keeps the
    window in one segment: each key is the one before and a word (the windows from ``i``
    share their start, so no key is joined again from its first word)."""
    keys: list[tuple[int, str]] = []
    key = ""
    for j in range(i + 1, hi + 1):
        if toks[j - 1].seg != toks[i].seg:
            break
        key += toks[j - 1].f
        keys.append((j, key))
    return keys


def _disambiguate(
    cands: list[_Unit], toks: _Tokens, i: int, j: int, unit: str | None
) -> list[_Unit]:
    """Narrow same-spelling candidates by the typed diacritics and unit word."""
    out = list(dict.fromkeys(cands))
    if len(out) > 1 and (toks[i].strict or any(t.marked for t in toks[i:j])):
        acc = "".join(t.a for t in toks[i:j]).replace(" ", "")
        out = [c for c in out if c.acc == acc] or out
    if len(out) > 1 and unit:
        out = [c for c in out if c.unit == unit] or out
    return out


def _typed_name(text: str) -> str:
    """A name kept as typed, title-cased only if typed all lower or all upper."""
    text = " ".join(text.split())
    return title_vi(text) if text in (text.lower(), text.upper()) else text


# --- reading one part -----------------------------------------------------------------------


@dataclass(slots=True)
class _Found:
    units: list[_Unit]  # gazetteer matches (may be several, e.g. old and new of one name)
    unit: str | None  # unit word from the marker
    marker: _Marker | None
    start: int  # first token (incl. marker)
    end: int  # token after the name
    raw: str  # the name as typed

    @property
    def typed(self) -> Place:
        return Place(self.unit, _typed_name(self.raw), False)


Lookup = Callable[[str, int, int, "str | None"], list[_Unit]]


@dataclass(slots=True)
class _Part:
    text: str
    toks: _Tokens
    province: _Found | None = None
    inferred: _Unit | None = None
    district: _Found | None = None
    commune: _Found | None = None
    abbreviations: bool = False
    no_diacritics: bool = False

    def raw(self, i: int, j: int) -> str:
        return self.text[self.toks[i].start : self.toks[j - 1].end]

    @property
    def detail(self) -> str:
        starts = [f.start for f in (self.commune, self.district, self.province) if f is not None]
        end = self.toks[min(starts)].start if starts else len(self.text)
        return self.text[:end].strip(" ,;-–—.:/")


def _find_province(gaz: _Gazetteer, part: _Part) -> _Found | None:
    toks = part.toks
    n = len(toks)
    best: _Found | None = None
    for i in range(n):
        marker = _marker_before(toks, i)
        if marker and marker.level not in ("province", "city"):
            continue
        for j, key in reversed(_window_keys(toks, i, min(n, i + gaz.max_tokens))):
            units = gaz.provinces.get(key)
            if not units:
                continue
            if key in gaz.informal_keys and len(key) <= 3 and marker is None and j != n:
                continue  # a bare "hn"/"sg" counts only at the very end
            if best is None or (j, j - i) > (best.end, best.end - i):
                start = marker.start if marker else i
                best = _Found(
                    list(units), marker.unit if marker else None, marker, start, j, part.raw(i, j)
                )
            break
    if best is not None:
        return best
    markers = _markers_in(toks, n, {"province"})
    if markers:  # a province marker with a name we do not know ("tỉnh Thái Bìhn")
        m = markers[-1]
        if m.end < n:
            end = _region_end(toks, m.end, n)
            return _Found([], m.unit, m, m.start, end, part.raw(m.end, end))
    return None


def _search_level(
    part: _Part,
    hi: int,
    levels: set[str],
    lookup: Lookup,
    *,
    allow_unmarked: bool,
    max_len: int,
    reject_unmarked: Callable[[str, int, list[_Unit]], bool] | None = None,
) -> _Found | None:
    """The unit of one level left of token ``hi``: after a marker, or unmarked right before."""
    toks = part.toks
    unknown: _Found | None = None
    for m in reversed(_markers_in(toks, hi, levels)):
        if m.end >= hi:
            continue
        for j in range(min(hi, m.end + max_len), m.end, -1):
            if toks[m.end].seg != toks[j - 1].seg or not _boundary(toks, j, hi):
                continue
            units = lookup(_window_key(toks, m.end, j), m.end, j, m.unit)
            if units:
                return _Found(units, m.unit, m, m.start, j, part.raw(m.end, j))
        if unknown is None:
            end = _region_end(toks, m.end, hi)
            unknown = _Found([], m.unit, m, m.start, end, part.raw(m.end, end))
    if unknown is not None or not allow_unmarked or hi == 0:
        return unknown
    owned = _owned(toks, hi)
    for i in range(max(0, hi - max_len), hi):  # the longest known name right before ``hi``
        if toks[i].seg != toks[hi - 1].seg or _marker_before(toks, i) is not None:
            continue  # a detail word (thôn, số…) or another level's marker precedes it
        if any(owned[i:hi]):
            continue  # part of a name after a marker: "Vinh" in "phường Thành Vinh"
        if _starts_detail(toks, i, hi):
            continue  # "ngõ 5 phố Huế": a street, even if a ward was once called "Phố Huế"
        key = _window_key(toks, i, hi)
        if key.isdigit():
            continue  # "Phường 15" needs its marker; a bare number is a house number
        units = lookup(key, i, hi, None)
        if units and not (reject_unmarked and reject_unmarked(key, i, units)):
            return _Found(units, None, None, i, hi, part.raw(i, hi))
    return None


def _owned(toks: _Tokens, hi: int) -> list[bool]:
    """Tokens before ``hi`` that belong to the name after some marker (thôn …, phường …)."""
    owned = [False] * hi
    for m in _markers_in(toks, hi, {"province", "city", "district", "commune", "detail"}):
        for k in range(m.end, _region_end(toks, m.end, hi) if m.end < hi else hi):
            owned[k] = True
    return owned


def _unmarked_segment(part: _Part, hi: int) -> _Found | None:
    """Without markers, "An Lạc, Thanh Bình, Thái Bình": the whole segment before ``hi``."""
    toks = part.toks
    if hi == 0:
        return None
    seg = toks[hi - 1].seg
    i = hi - 1
    while i > 0 and toks[i - 1].seg == seg:
        i -= 1
    if hi - i > 5 or any(_starts_marker(toks, k, hi) for k in range(i, hi)):
        return None
    return _Found([], None, None, i, hi, part.raw(i, hi))


def _read_part(gaz: _Gazetteer, text: str) -> _Part:
    """Find the province, then the district left of it, then the commune left of that."""
    part = _Part(text, _tokens(text))
    if not part.toks:
        return part
    part.province = prov = _find_province(gaz, part)
    scope = _Scope.of(gaz, part.toks, prov)
    hi = prov.start if prov else len(part.toks)
    part.district = district = _search_level(
        part, hi, {"district", "city"}, scope.district_lookup,
        allow_unmarked=prov is not None, max_len=gaz.max_tokens,
        reject_unmarked=scope.commune_not_district,
    )  # fmt: skip
    hi2 = district.start if district else hi
    part.commune = _search_level(
        part,
        hi2,
        {"commune"},
        partial(scope.commune_lookup, district),
        allow_unmarked=prov is not None or district is not None,
        max_len=gaz.max_tokens,
    )
    if part.commune is None and prov is not None and prov.units:
        _read_bare_segments(part, hi, hi2, scope.current_typed)
    if prov is None:
        part.inferred = _infer_province(part)
    _note_spelling(gaz, part)
    return part


@dataclass(slots=True)
class _Scope:
    """Where the district and the commune of a part are looked up, given its province: the
    typed province's old and new units (an old province also looks under its successor,
    a new one under the old provinces merged into it)."""

    gaz: _Gazetteer
    toks: _Tokens
    prov: _Found | None
    old_scope: list[_Unit]
    new_scope: list[_Unit]
    typed_real: set[int]
    current_typed: bool  # the province is written with its current name

    @classmethod
    def of(cls, gaz: _Gazetteer, toks: _Tokens, prov: _Found | None) -> _Scope:
        typed = prov.units if prov else []
        old_scope: list[_Unit] = []
        new_scope: list[_Unit] = []
        for u in typed:
            if u.era == "new":
                new_scope.append(u)
            else:
                old_scope.append(u.real)
                if u in gaz.old_to_new_province:
                    new_scope.append(gaz.old_to_new_province[u])
        for p in list(new_scope):
            old_scope.extend(gaz.new_to_old_provinces.get(p, []))
        return cls(
            gaz,
            toks,
            prov,
            list(dict.fromkeys(old_scope)),
            list(dict.fromkeys(new_scope)),
            {id(u.real) for u in typed},
            any(u.era == "new" for u in typed),
        )

    def commune_not_district(self, key: str, i: int, districts: list[_Unit]) -> bool:
        """An unmarked name that is also a current commune is read as the commune, unless
        the name before it is an old commune of that district ("Vĩnh Thủy, Vĩnh Linh")."""
        gaz, toks = self.gaz, self.toks
        if not (self.current_typed and any(key in gaz.new_by_province[p] for p in self.new_scope)):
            return False
        for k in range(max(0, i - 8), i):
            if toks[k].seg == toks[i - 1].seg:
                before = _window_key(toks, k, i)
                if any(before in gaz.old_by_district[d] for d in districts):
                    return False
        return True

    def district_lookup(self, key: str, i: int, j: int, unit: str | None) -> list[_Unit]:
        gaz, toks = self.gaz, self.toks
        if self.prov is None:
            cands = _disambiguate(gaz.districts_all.get(key, []), toks, i, j, unit)
            return cands if len(cands) == 1 else []
        cands = [d for p in self.old_scope for d in gaz.districts[p].get(key, [])]
        cands = _disambiguate(cands, toks, i, j, unit)
        return [d for d in cands if id(d.parent) in self.typed_real] or cands

    def commune_lookup(
        self, district: _Found | None, key: str, i: int, j: int, unit: str | None
    ) -> list[_Unit]:
        gaz, toks = self.gaz, self.toks
        if district is not None:
            if not district.units:
                return []  # under an unknown district the commune cannot be resolved
            cands = [c for d in district.units for c in gaz.old_by_district[d].get(key, [])]
            return _disambiguate(cands, toks, i, j, unit)
        if self.prov is None:
            for index in (gaz.new_communes_all, gaz.old_communes_all):
                cands = _disambiguate(index.get(key, []), toks, i, j, unit)
                if len(cands) == 1:
                    return cands
            return []
        new = _disambiguate(
            [c for p in self.new_scope for c in gaz.new_by_province[p].get(key, [])],
            toks, i, j, unit,
        )  # fmt: skip
        if self.current_typed and new:
            return new
        old = _disambiguate(
            [c for p in self.old_scope for c in gaz.old_by_province[p].get(key, [])],
            toks, i, j, unit,
        )  # fmt: skip
        if old:
            return [c for c in old if c.parent and id(c.parent.parent) in self.typed_real] or old
        return new


def _read_bare_segments(part: _Part, hi: int, hi2: int, current_typed: bool) -> None:
    """No commune found under a known province: read the bare segments before it."""
    if part.district is None and not _markers_in(part.toks, hi, {"district", "city", "commune"}):
        # "An Lạc, Thanh Bình, Thái Bình": two bare segments under an old province
        near = _unmarked_segment(part, hi)
        far = _unmarked_segment(part, near.start) if near else None
        if near and far and not current_typed:
            part.district, part.commune = near, far
        elif near:
            part.commune = near
    elif part.district is not None:
        part.commune = _unmarked_segment(part, hi2)


def _note_spelling(gaz: _Gazetteer, part: _Part) -> None:
    """Whether the part uses abbreviations (TP, P., HCM) or known names without diacritics."""
    prov = part.province
    informal = prov is not None and compact_key(prov.raw) in gaz.informal_keys
    part.abbreviations = informal
    for found in (part.province, part.district, part.commune):
        if found is None:
            continue
        if found.marker and found.marker.abbreviated:
            part.abbreviations = True
        if found is prov and informal:
            continue
        if (
            found.units
            and not has_diacritics(found.raw)
            and any(has_diacritics(u.name) for u in found.units)
        ):
            part.no_diacritics = True


def _infer_province(part: _Part) -> _Unit | None:
    if part.district and part.district.units:
        return part.district.units[0].parent
    if part.commune and len(part.commune.units) == 1:
        unit = part.commune.units[0]
        return unit.parent if unit.era == "new" else (unit.parent.parent if unit.parent else None)
    return None


# --- interpreting a part --------------------------------------------------------------------


@dataclass(slots=True)
class _Reading:
    """One part read as current (new) units and the pre-2025 (old) units it mentions."""

    new_province: _Unit | None = None
    new_commune: _Unit | None = None
    typed_commune: Place | None = None  # a commune not in the gazetteer, kept as typed
    old_province: Place | None = None
    old_district: Place | None = None
    old_commune_unit: _Unit | None = None
    has_province: bool = False
    has_commune: bool = False
    district_written: bool = False
    province_old_only: bool = False
    town_written: bool = False  # "thị trấn" no longer exists
    commune_old_only: bool = False
    split: bool = False
    unknown_province: bool = False
    notes: list[str] = field(default_factory=list)

    @property
    def old_evidence(self) -> bool:
        return (
            self.district_written
            or self.province_old_only
            or self.town_written
            or self.commune_old_only
        )

    @property
    def old_commune(self) -> Place | None:
        if self.old_commune_unit is not None:
            return self.old_commune_unit.place()
        return self.typed_commune if self.old_evidence else None


def _interpret(gaz: _Gazetteer, part: _Part) -> _Reading:
    """What the units found in a part say: the current units, and the old ones written."""
    r = _Reading()
    typed_new, typed_old = _interpret_province(r, part)
    d_unit = _interpret_district(r, part.district)
    c_new, c_old = _interpret_commune(gaz, r, part.commune)
    r.commune_old_only = c_old is not None and part.district is None
    # the 63-province unit the old names belong to
    inferred_old = (
        part.inferred if part.inferred is not None and part.inferred.era == "old" else None
    )
    base_old = (
        c_old.parent.parent
        if c_old and c_old.parent
        else (d_unit.parent if d_unit else inferred_old)
    )
    if typed_old is not None and (base_old is None or typed_old.real is base_old):
        r.old_province = typed_old.place()
    elif base_old is not None:
        r.old_province = base_old.place()
    _current_commune(gaz, r, c_new, c_old, d_unit)
    if r.new_province is None:
        r.new_province = _current_province(gaz, part, base_old, typed_new, typed_old)
    return r


def _interpret_province(r: _Reading, part: _Part) -> tuple[_Unit | None, _Unit | None]:
    """The province as written: (its current unit, its pre-2025 unit), either may be None."""
    prov = part.province
    if prov is None:
        if part.inferred is not None:
            r.notes.append("province_inferred")
        return None, None
    r.has_province = True
    typed_new = next((u for u in prov.units if u.era == "new"), None)
    typed_old = next((u for u in prov.units if u.era == "old"), None)
    if prov.units:
        r.province_old_only = typed_new is None
    else:
        r.unknown_province = True
    return typed_new, typed_old


def _interpret_district(r: _Reading, dist: _Found | None) -> _Unit | None:
    """A district is always an old name (there are none since 07/2025)."""
    if dist is None:
        return None
    r.district_written = True
    if dist.units:
        r.old_district = dist.units[0].place()
        return dist.units[0]
    r.old_district = dist.typed
    r.notes.append("unknown_district")
    return None


def _interpret_commune(
    gaz: _Gazetteer, r: _Reading, comm: _Found | None
) -> tuple[_Unit | None, _Unit | None]:
    """The commune as written: (a current unit, a pre-2025 unit), at most one of them. Two
    old communes of the same spelling with the same successor give the successor."""
    if comm is None:
        return None, None
    r.has_commune = True
    r.town_written = comm.unit == "thị trấn"
    units = list(dict.fromkeys(comm.units))
    common = {
        id(gaz.old_to_new[u][0][0]) for u in units if u.era == "old" and gaz.old_to_new.get(u)
    }
    if len(units) > 1 and len(common) == 1 and all(u.era == "old" for u in units):
        r.new_commune = gaz.old_to_new[units[0]][0][0]  # same successor either way
        r.new_province = r.new_commune.parent
    c_new = c_old = None
    if len(units) > 1:
        r.notes.append("ambiguous_commune")
    elif units and units[0].era == "new":
        c_new = units[0]
    elif units:
        c_old = units[0]
    if not units or len(units) > 1:
        r.typed_commune = comm.typed
        if len(units) <= 1:
            r.notes.append("unknown_commune")
    elif r.town_written and c_new is not None:
        # "thị trấn Văn Giang" found as today's «xã Văn Giang»: the town is the old name, kept
        # for the bracket ("(trước đây là tỉnh Hưng Yên)" had lost it)
        r.typed_commune = comm.typed
    return c_new, c_old


def _current_commune(
    gaz: _Gazetteer, r: _Reading, c_new: _Unit | None, c_old: _Unit | None, d_unit: _Unit | None
) -> None:
    """The current commune (and its province): as written, or the old one's successor."""
    if r.new_commune is not None:
        return
    if c_new is not None:
        r.new_commune, r.new_province = c_new, c_new.parent
    elif c_old is not None:
        r.old_commune_unit = c_old
        successors = gaz.old_to_new.get(c_old, [])
        if successors:
            r.new_commune = successors[0][0]
            r.new_province = r.new_commune.parent
            r.split = len(successors) > 1
    elif d_unit is not None and d_unit in gaz.district_to_new:
        # island districts had no communes; each became a đặc khu
        r.new_commune = gaz.district_to_new[d_unit]
        r.new_province = r.new_commune.parent
        r.has_commune = True


def _current_province(
    gaz: _Gazetteer,
    part: _Part,
    base_old: _Unit | None,
    typed_new: _Unit | None,
    typed_old: _Unit | None,
) -> _Unit | None:
    """The current province when no current commune gave it."""
    if base_old is not None:
        return gaz.old_to_new_province.get(base_old)
    if typed_new is not None:
        return typed_new
    if typed_old is not None:
        return gaz.old_to_new_province.get(typed_old)
    if part.inferred is not None and part.inferred.era == "new":
        return part.inferred
    return None


def _new_text(r: _Reading) -> str | None:
    """ "xã X, tỉnh Y" from the current units (typed commune if unknown); None without province."""
    if r.new_province is None:
        return None
    commune = r.new_commune.place() if r.new_commune is not None else r.typed_commune
    if commune is not None and commune.unit == "thị trấn":
        commune = Place("xã", commune.name, False)  # towns are gone; most became a xã
    return ", ".join(str(p) for p in (commune, r.new_province.place()) if p is not None)


def _old_text(r: _Reading) -> str:
    return ", ".join(str(p) for p in (r.old_commune, r.old_district, r.old_province) if p)


def _format_old_unit(c: _Unit) -> str:
    dist = c.parent
    prov = dist.parent if dist else None
    return ", ".join(str(u.place()) for u in (c, dist, prov) if u is not None)


# --- brackets -------------------------------------------------------------------------------

_BRACKET = re.compile(r"\(([^()]*)\)?")
_OLD_PREFIX = re.compile(
    r"^\s*(?:truoc day la|truoc day|truoc kia la|truoc kia|truoc la|ten cu la|ten cu|cu la)"
    r"\b\s*:?\s*"
)
_NEW_PREFIX = re.compile(r"^\s*(?:nay la|nay thuoc|hien nay la|hien la|nay)\b\s*:?\s*")


def _split_bracket(text: str) -> tuple[str, str | None, bool]:
    """(main, bracket content, reversed) for "new (trước đây là old)" / "old (nay là new)"."""
    for m in _BRACKET.finditer(text):
        inner = m.group(1)
        folded = fold(inner)
        for prefix, reverse in ((_OLD_PREFIX, False), (_NEW_PREFIX, True)):
            p = prefix.match(folded)
            if p:
                main = (text[: m.start()] + " " + text[m.end() :]).strip(" ,;")
                return " ".join(main.split()), inner[p.end() :].strip(" ,;."), reverse
    return text, None, False


def current_names(text: str) -> str:
    """``text`` as a residence reads it (HD 38: current names only): a birthplace's or
    hometown's bracket of old names dropped ("new (trước đây là old)" → new, "old (nay là
    new)" → new) when one of them is copied to a residence ("như quê quán" at (7))."""
    main, bracket, reversed_ = _split_bracket(text)
    if bracket is None:
        return text
    if reversed_:  # the new names are the bracket's only when it closes the text
        return bracket if text.rstrip(" .").endswith(")") else text
    return re.sub(r"\s+([,;.])", r"\1", main)


# --- public entry point ---------------------------------------------------------------------


@remembered(maxsize=256)  # a reading is several KB: 2 048 of them were ≈ 12 MB of the bot's
def analyse_address(text: str, *, kind: Kind) -> AddressAnalysis:
    """Read an address of item (5)/(6) (``kind="origin"``) or (7) (``kind="residence"``).

    Handles diacritic-less input, abbreviations, the 63→34 province merger and the
    "(trước đây là …)" bracket. Never raises on any text.

    Remembered (the result is frozen: never change its lists): an answer's address is read
    by the chat to store it and again by rule F5 right after, in the same update.
    """
    cleaned = normalise_apostrophes(clean_text(text))
    if not cleaned:
        return AddressAnalysis(text="", kind=kind, problems=["empty"])
    truncated = len(cleaned) > _MAX_CHARS
    cleaned = cleaned[:_MAX_CHARS]
    gaz = _gazetteer()
    main_text, bracket_text, reversed_ = _split_bracket(cleaned)
    if reversed_ and bracket_text is not None:
        main_text, bracket_text = bracket_text, main_text
    main_part = _read_part(gaz, main_text)
    old_part = _read_part(gaz, bracket_text) if bracket_text is not None else None
    a = _Analysis(
        gaz,
        main_text,
        bracket_text,
        reversed_,
        main_part,
        _interpret(gaz, main_part),
        old_part,
        _interpret(gaz, old_part) if old_part is not None else None,
    )
    a.common_findings(truncated)
    if kind == "origin":
        a.origin_findings()
    else:
        a.residence_findings()
    return a.result(cleaned, kind)


@dataclass(slots=True)
class _Analysis:
    """One address being analysed: the main text and the bracket, each read and
    interpreted, and what has been found so far."""

    gaz: _Gazetteer
    main_text: str
    bracket_text: str | None
    reversed_: bool  # written "old (nay là new)"; main and bracket already swapped back
    main_part: _Part
    main: _Reading
    old_part: _Part | None
    old: _Reading | None
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    suggestion: str | None = None
    old_options: list[str] = field(default_factory=list)

    @property
    def detail(self) -> str:
        return self.main_part.detail

    def common_findings(self, truncated: bool) -> None:
        """Findings for every kind: data, spelling, splits, the levels written."""
        main, old = self.main, self.old
        notes = self.notes
        if not self.gaz.available:
            notes.append("gazetteer_unavailable")
        if truncated:
            notes.append("truncated")
        notes += main.notes + (old.notes if old else [])
        parts = [p for p in (self.main_part, self.old_part) if p is not None]
        if any(p.abbreviations for p in parts):
            notes.append("abbreviation")
        if any(p.no_diacritics for p in parts):
            notes.append("no_diacritics")
        if main.split:
            notes.append("commune_split")
        if not main.has_commune:
            self.problems.append("missing_commune")
        if not main.has_province:
            self.problems.append("missing_province")
        if main.unknown_province or (old is not None and old.unknown_province):
            self.problems.append("unknown_province")

    def origin_findings(self) -> None:
        """(5), (6): "new (trước đây là old)", the bracket holding the old names."""
        main, old = self.main, self.old
        if _INSTITUTION.match(fold(self.detail)):  # its place names are to be written first
            self.problems.append("institution")
            return
        if old is not None:
            self._bracket_findings(old)
        elif main.old_evidence:
            self.problems.append("old_name_without_new")
            new = _new_text(main)
            if new is not None:
                prefix = f"{self.detail}, " if self.detail else ""
                self.suggestion = f"{prefix}{new} (trước đây là {_old_text(main)})"
        elif main.new_province is not None and not main.unknown_province:
            self.problems.append("new_name_without_old")
            if main.new_commune is not None:
                olds = self.gaz.new_to_old.get(main.new_commune, [])
                self.old_options = [_format_old_unit(c) for c in olds][:_MAX_OPTIONS]

    def _bracket_findings(self, old: _Reading) -> None:
        main = self.main
        if self.reversed_:
            self.problems.append("bracket_reversed")
            self.suggestion = f"{self.main_text} (trước đây là {self.bracket_text})"
        if main.district_written or main.province_old_only or main.town_written:
            self.problems.append("main_part_not_current")
        if main.commune_old_only:
            self.notes.append("commune_not_current")
        if not old.old_evidence:
            self.problems.append("bracket_not_old")
            return
        mismatch = _mismatch(self.gaz, main, old)
        if mismatch == "province":
            self.problems.append("bracket_mismatch")
        elif mismatch == "commune":
            self.notes.append("bracket_commune_mismatch")

    def residence_findings(self) -> None:
        """(7): current names only, no district, no bracket."""
        main, old = self.main, self.old
        if old is not None:
            self.problems.append("bracket_in_residence")
        if main.district_written:
            self.problems.append("district_in_residence")
        if main.province_old_only or main.town_written:
            self.problems.append("old_name_in_residence")
        if main.commune_old_only:
            self.notes.append("commune_not_current")
        new = _new_text(main)
        if new is not None and main.has_commune:
            detail = self.detail
            canonical = f"{detail[:1].upper()}{detail[1:]}, {new}" if detail else new
            if canonical != self.main_text or old is not None:
                self.suggestion = canonical

    def result(self, cleaned: str, kind: Kind) -> AddressAnalysis:
        main, old = self.main, self.old
        unverified = (
            main.old_evidence and main.new_commune is None and main.typed_commune is not None
        )
        if unverified and self.suggestion is not None and not self.reversed_:
            self.notes.append("commune_unverified")
        not_found: list[str] = []
        closest: list[str] = []
        for part in (self.main_part, self.old_part):
            if part is not None:
                missing, near = _not_found(self.gaz, part)
                not_found += missing
                closest += near
        if not_found:
            self.problems.append("place_not_found")
            self.suggestion = None  # it would present an unknown (or unread) name as real
        if "institution" in self.problems:
            self.suggestion = None  # "bệnh viện, tỉnh Hưng Yên (…)" is no better writing
        if (
            kind == "residence"
            and self.suggestion
            and not _COMMUNE_WORD.search(fold(self.suggestion).lower())
        ):
            # "18 Hoa Sữa, quận Hoàn Kiếm, Hà Nội" was offered as «18 Hoa Sữa, thành phố Hà
            # Nội» ("nên ghi đầy đủ"): its district dropped, no ward in its place
            self.suggestion = None
        source = old if old is not None else (main if main.old_evidence else None)
        return AddressAnalysis(
            text=cleaned,
            kind=kind,
            province=main.new_province.place() if main.new_province else None,
            commune=main.new_commune.place() if main.new_commune else main.typed_commune,
            old_province=source.old_province if source else None,
            old_district=source.old_district if source else None,
            old_commune=(source.old_commune or source.typed_commune) if source else None,
            detail=self.detail,
            uses_old_names=main.old_evidence or (old is not None and old.old_evidence),
            has_bracket=old is not None,
            has_required_levels=main.has_commune and main.has_province,
            suggestion=self.suggestion,
            old_options=self.old_options,
            problems=list(dict.fromkeys(self.problems)),
            notes=list(dict.fromkeys(self.notes)),
            not_found=list(dict.fromkeys(not_found)),
            closest=list(dict.fromkeys(closest))[:_MAX_CLOSEST],
        )


_MAX_CHARS = 400  # an address with its bracket is well under 250 characters
_MAX_CLOSEST = 5
_CLOSE_ENOUGH = 0.75


def _near(key: str, candidates: dict[str, list[_Unit]], n: int = 3) -> list[_Unit]:
    """The units whose folded names are closest to ``key`` (difflib), best first."""
    names = difflib.get_close_matches(key, list(candidates), n=n, cutoff=_CLOSE_ENOUGH)
    return [u for name in names for u in candidates[name]]


def _with_parents(unit: _Unit) -> str:
    """ "xã Long Hưng, huyện Văn Giang, tỉnh Hưng Yên": a unit with its higher units."""
    chain = [unit]
    while chain[-1].parent is not None:
        chain.append(chain[-1].parent)
    return ", ".join(str(u.place()) for u in chain)


def _not_found(gaz: _Gazetteer, part: _Part) -> tuple[list[str], list[str]]:
    """The commune and district names of ``part`` the gazetteer does not know, as written,
    and the closest real names in the same province (or district), best first.

    Only names typed without diacritics count: one copied with its diacritics from a birth
    certificate may be a name older than the data set (the domain samples' communes are
    invented that way); one typed without them ("huyen van giag") cannot be verified and
    must not come back as a "new name". A segment left unread between the commune and the
    province ("xa long hung, van giag, hung yen") is such a district too."""
    if not gaz.available:
        return [], []
    missing: list[str] = []
    near: list[_Unit] = []
    provinces = [u.real for u in part.province.units] if part.province else []
    if part.inferred is not None:
        provinces.append(part.inferred)
    old_provinces = [p for p in provinces if p.era == "old"] + [
        o for p in provinces if p.era == "new" for o in gaz.new_to_old_provinces.get(p, [])
    ]
    districts: list[_Unit] = []
    dist = part.district
    unknown = None if dist is None or dist.units else dist
    raw = unknown.raw if unknown is not None else _unread_district(part)
    typed_district = None
    if raw is not None and not has_diacritics(raw):
        typed_district = str(unknown.typed) if unknown is not None else raw
    if dist is not None and dist.units:
        districts = list(dist.units)
    elif typed_district is not None:
        missing.append(typed_district)
        scope: dict[str, list[_Unit]] = defaultdict(list)
        for prov in old_provinces:
            for name, units in gaz.districts[prov].items():
                scope[name] += units
        districts = _near(compact_key(raw or ""), scope or gaz.districts_all)
        near += districts
    comm = part.commune
    comm_missing = comm is not None and not comm.units and not has_diacritics(comm.raw)
    if comm is not None and (comm_missing or typed_district is not None):
        if comm_missing:
            missing.append(str(comm.typed))
        communes = _near_communes(gaz, compact_key(comm.raw), districts, provinces)
        near = communes + [d for d in near if not any(c.parent is d for c in communes)]
    return missing, [_with_parents(u) for u in near]


def _unread_district(part: _Part) -> str | None:
    """The text between a commune and a province found with nothing read in it: a district
    the gazetteer does not know, written without its unit word."""
    comm, prov = part.commune, part.province
    if part.district is not None or comm is None or prov is None or prov.start <= comm.end:
        return None
    between = part.raw(comm.end, prov.start).strip(" ,;-–—.:/")
    return between if sum(ch.isalpha() for ch in between) >= 2 else None


def _near_communes(
    gaz: _Gazetteer, key: str, districts: list[_Unit], provinces: list[_Unit]
) -> list[_Unit]:
    """The communes closest to ``key``: in ``districts`` (the typed or nearest ones), else
    anywhere in ``provinces`` (old and new)."""
    scope: dict[str, list[_Unit]] = defaultdict(list)
    for d in districts:
        for name, units in gaz.old_by_district[d].items():
            scope[name] += units
    if not scope:
        for prov in provinces:
            olds = [prov] if prov.era == "old" else gaz.new_to_old_provinces.get(prov, [])
            for old in olds:
                for name, units in gaz.old_by_province[old].items():
                    scope[name] += units
            if prov.era == "new":
                for name, units in gaz.new_by_province[prov].items():
                    scope[name] += units
    return _near(key, scope) if scope else []


_MAX_OPTIONS = 12


def _mismatch(gaz: _Gazetteer, main: _Reading, old: _Reading) -> str | None:
    """ "province"/"commune" if the bracket's old units cannot have become those before it."""
    if old.new_province is not None and main.new_province not in (None, old.new_province):
        return "province"
    if main.new_commune is not None and old.old_commune_unit is not None:
        successors = {id(u) for u, _ in gaz.old_to_new.get(old.old_commune_unit, [])}
        if successors and id(main.new_commune) not in successors:
            return "commune"
    return None
