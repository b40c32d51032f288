"""Item (21), the family: relatives grouped under the booklet's headings (grandparents,
parents, the spouse's side, siblings, children); per person a heading line and one labelled
line per fact, the history one line per period; "vợ (chồng)" narrowed to the candidate's
spouse."""

from __future__ import annotations

import re
from collections.abc import Sequence

from forms.document.page import Page, wording
from forms.document.word import clean_text
from forms.dossier import Row
from forms.model import ItemDef, Kind, RelativesDef
from forms.texts import has_message

# Relatives: the field naming the precise relation ("Em gái") heads a sibling's block.
RELATION_DETAIL_FIELD = "xung_ho"
# Item (4): names the spouse's side "vợ" or "chồng" in item (21).
GENDER_FIELD = "gioi_tinh"


class Relatives:
    """Writes item (21)."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.dossier = page.dossier
        self._spouse = _spouse_word(page.dossier.value(GENDER_FIELD))

    def write(self, item: ItemDef, rel_def: RelativesDef) -> None:
        self.page.heading(item)
        groups = _group_relatives(rel_def, self.dossier.relatives)
        if not groups:
            self.page.para(("i", wording("relatives.nobody")), indent_cm=0.6)
            return
        for index, (key, people) in enumerate(groups):
            known = key and has_message(f"document.relatives.{key}")
            title = self.spouse(
                wording(f"relatives.{key}") if known else wording("relatives.other")
            )
            letter = chr(ord("a") + index)
            self.page.para(("bi", f"{letter}) {title}"), before_pt=6, keep_next=True, indent_cm=0.3)
            for person in people:
                self.person(rel_def, person)

    def person(self, rel_def: RelativesDef, row: Row) -> None:
        """One person as the booklet lays it out: a heading line ("Ông nội: TRẦN VĂN LỘC"),
        then one labelled line per fact, the history one line per period."""
        code = row.get("quan_he", "")
        try:
            relation = rel_def.relation(code)
            label, group = self.spouse(relation.label), relation.group
        except KeyError:
            label, group = clean_text(code) or self.page.missing, None
        fields = rel_def.fields_for(group) if group else rel_def.fields
        detail = clean_text(row.get(RELATION_DETAIL_FIELD, ""))
        name_field = next((f for f in fields if f.kind is Kind.NAME), None)
        name = clean_text(row.get(name_field.id, "")) if name_field else ""
        head = detail or label
        if detail and detail.casefold() != label.casefold() and group != "C":
            head = f"{label} ({detail})"
        self.page.para(
            ("b", f"{head}: "),
            ("b", name or self.page.missing),
            indent_cm=0.3,
            keep_next=True,
            before_pt=3,
        )
        for field in fields:
            if field is name_field or field.id in (RELATION_DETAIL_FIELD, "quan_he"):
                continue
            raw = clean_text(row.get(field.id, ""))
            if not raw and not (field.applies(row) and field.required):
                continue
            if field.kind is Kind.YES_NO:
                if raw.casefold() == "có":  # "Đã mất", "Là đảng viên": the label says it
                    self.fact(field.label)
                elif raw and raw.casefold() != "không":
                    self.fact(f"{field.label}: {raw}")
                continue
            if field.kind is Kind.LONG_TEXT and raw:
                periods = by_period(raw)
                if len(periods) > 1:
                    self.fact(f"{field.label}:")
                    for period in periods:
                        self.page.para(("", f"+ {period}"), indent_cm=1.2)
                    continue
            self.fact(f"{field.label}: {raw or self.page.missing}")

    def fact(self, text: str) -> None:
        self.page.para(("", f"– {text}"), indent_cm=0.6)

    def spouse(self, text: str) -> str:
        """``text`` with "vợ (chồng)" narrowed to the candidate's spouse ("Cha vợ (chồng)"
        → "Cha chồng" for a woman); unchanged when the gender is not given."""
        if self._spouse is None:
            return text
        both = wording("relatives.spouse_both")
        if both not in text.lower():
            return text
        start = text.lower().index(both)
        word = self._spouse.capitalize() if text[start].isupper() else self._spouse
        return self.spouse(text[:start] + word + text[start + len(both) :])


def _spouse_word(gender: str) -> str | None:
    """ "vợ" for a man, "chồng" for a woman (item (4)), None when not given."""
    value = clean_text(gender).casefold()
    if value == "nam":
        return wording("relatives.spouse_of_man")
    if value == "nữ":
        return wording("relatives.spouse_of_woman")
    return None


def _group_key(group: str, side: str) -> str:
    """Headings of item (21): the candidate's own spouse sits with the parents-in-law."""
    if group == "B" and side == "own":
        side = "spouse"
    return f"{group}_{side}"


_GROUP_ORDER = ("A_self", "A_spouse", "B_self", "B_spouse", "C_self", "C_spouse", "C_own")


def _group_relatives(rel_def: RelativesDef, rows: Sequence[Row]) -> list[tuple[str, list[Row]]]:
    """Relatives in booklet order: by group heading, then relation order, then entry order."""
    order = {r.code: i for i, r in enumerate(rel_def.relations)}
    buckets: dict[str, list[tuple[int, int, Row]]] = {}
    for index, row in enumerate(rows):
        code = row.get("quan_he", "")
        try:
            relation = rel_def.relation(code)
            key = _group_key(relation.group, relation.side)
        except KeyError:
            key = ""
        buckets.setdefault(key, []).append((order.get(code, len(order)), index, row))
    keys = [k for k in _GROUP_ORDER if k in buckets]
    keys += sorted(k for k in buckets if k not in _GROUP_ORDER and k)
    if "" in buckets:
        keys.append("")
    return [(k, [row for _, _, row in sorted(buckets[k], key=lambda t: t[:2])]) for k in keys]


# A new period in a history written on one line: "…; 1980-1985: nhập ngũ…", "…; từ 1994: …".
_PERIOD_START = re.compile(
    r"\s*(?:\n|;\s*(?=(?:[Tt]ừ\s+)?(?:(?:[Tt]háng\s+)?\d{1,2}[/-])?\d{4}\b))\s*"
)


def by_period(text: str) -> list[str]:
    """A history split into its periods (at line breaks, or at "; " before a year), as the
    booklet writes it: one period a line."""
    return [part for part in _PERIOD_START.split(text) if part.strip()]
