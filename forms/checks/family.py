"""Item (21) rules: family completeness, deceased and abroad relatives, party members,
plausible birth years, hometowns and political-standard signals (X11–X15, X18, X19)."""

from __future__ import annotations

import re
import tomllib
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date

from forms import vn
from forms.checks import values as v
from forms.checks.core import ERROR, RELATIVES, WARNING, Ctx, Flag, Severity, msg, rule
from forms.definition import load_form
from forms.dossier import Dossier, Row
from forms.memo import remembered
from forms.model import FieldDef, FormDef, Kind, Relation
from forms.parsers import DATA_DIR

#: The relative's yes/no facts that open further facts (X12 checks the facts of death, X15
#: those of a party member; X11 checks the rest). Which facts they open is the form's.
DECEASED = "da_mat"
PARTY_MEMBER = "la_dang_vien"
#: Who stands for the parents when the candidate declares the person who raised them (X18).
RAISER = "nguoi_nuoi_duong"
#: The order X11 names missing relatives in: grandparents and parents (groups A, B) before
#: siblings and children (C); in each, the candidate's side, their household, the spouse's.
_SIDES = ("self", "own", "spouse")


@dataclass(frozen=True, slots=True)
class Family:
    """What the form declares about item (21), read once per form: the gate questions, the
    relations (in the order X11 names the missing ones), the facts each group is asked, and
    the facts the deceased and party-member answers open. The family rules read this, so an
    edit of the form data changes them."""

    gates: tuple[FieldDef, ...]
    relations: tuple[Relation, ...]
    by_code: dict[str, Relation]
    #: Per gate, the relations its answer opens or closes (``Relation.when``).
    gated: dict[str, tuple[Relation, ...]]
    #: Per answer to the deceased / party-member question ("có", "không", ""), the facts it
    #: opens: "có" to "đã mất" → year, cause and place of death.
    death_facts: dict[str, tuple[FieldDef, ...]]
    party_facts: dict[str, tuple[FieldDef, ...]]
    #: Per group, the facts X11 checks (all but those of death and of a party member).
    own_facts: dict[str, tuple[FieldDef, ...]]

    @classmethod
    def of(cls, form: FormDef) -> Family:
        gates = form.relatives_item().fields
        rel_def = form.relatives()
        death = rel_def.facts_opened_by(DECEASED)
        party = rel_def.facts_opened_by(PARTY_MEMBER)
        groups = {r.group for r in rel_def.relations}
        return cls(
            gates=gates,
            relations=tuple(
                sorted(rel_def.relations, key=lambda r: (r.group == "C", _SIDES.index(r.side)))
            ),
            by_code={r.code: r for r in rel_def.relations},
            gated={g.id: rel_def.gated_by(g.id) for g in gates},
            death_facts=_by_answer(DECEASED, death),
            party_facts=_by_answer(PARTY_MEMBER, party),
            own_facts={
                g: tuple(f for f in rel_def.fields_for(g) if f not in death and f not in party)
                for g in sorted(groups)
            },
        )

    @property
    def gate_ids(self) -> tuple[str, ...]:
        return tuple(g.id for g in self.gates)

    def gate_answers(self, ctx: Ctx) -> dict[str, str]:
        """Each gate's answer read as "có", "không" or "" (blank or unreadable). A gate not
        asked because of another gate's answer counts as "không" (not married: the spouse has
        no siblings to list), or as "" while that other gate is unanswered."""
        out: dict[str, str] = {}
        for gate in self.gates:  # in form order: a gate's own gate comes first
            if gate.when is not None and not gate.when.holds(out):
                out[gate.id] = "không" if out.get(gate.when.field) else ""
            else:
                out[gate.id] = _yes_no_text(ctx.a(gate.id))
        return out


_FAMILIES: dict[int, tuple[FormDef, Family]] = {}


def family_of(form: FormDef) -> Family:
    """The :class:`Family` of ``form`` (computed once per form object)."""
    hit = _FAMILIES.get(id(form))
    if hit is None or hit[0] is not form:
        hit = _FAMILIES[id(form)] = (form, Family.of(form))
    return hit[1]


def who(ctx: Ctx, rel: Row) -> str:
    """How a message names a relative: "Ông nội TRẦN VĂN LỘC", "Em gái LÊ THỊ MY"."""
    return named(ctx.form, rel)


def named(form: FormDef, rel: Row) -> str:
    """:func:`who` from the form alone (a flag's text made later holds no ``Ctx``)."""
    relation = family_of(form).by_code.get(str(rel.get("quan_he", "")))
    label = str(rel.get("xung_ho", "")).strip() or (relation.label if relation else "Người thân")
    name = str(rel.get("ho_ten", "")).strip()
    return f"{label} {name}".strip()


def _on_relative(
    ctx: Ctx,
    rule_id: str,
    row: int,
    message: str,
    *,
    key: str = "",
    field: str | None = None,
    severity: Severity | None = None,
) -> Flag:
    """A flag of item (21) anchored on relative ``row``; keyed ``relatives:<row>`` unless
    ``key`` says otherwise."""
    return ctx.flag(
        rule_id,
        21,
        key or f"relatives:{row}",
        message,
        field=field,
        table=RELATIVES,
        row=row,
        severity=severity,
    )


def _yes(text: object) -> bool | None:
    return v.yes_no(text) if isinstance(text, str) else None


def _yes_no_text(text: object) -> str:
    """A yes/no answer as the form's conditions name it: "có", "không", "" (blank, unreadable)."""
    said = _yes(text)
    return "" if said is None else "có" if said else "không"


def _by_answer(fact: str, facts: tuple[FieldDef, ...]) -> dict[str, tuple[FieldDef, ...]]:
    return {
        answer: tuple(f for f in facts if f.applies({fact: answer}))
        for answer in ("có", "không", "")
    }


def _missing_facts(rel: Row, facts: tuple[FieldDef, ...]) -> list[str]:
    """Labels (lower case) of those of ``facts`` left blank for a relative."""
    return [f.label.lower() for f in facts if v.blank(rel.get(f.id, ""))]


# --- X11 -------------------------------------------------------------------------------------


@rule(
    "X11",
    ERROR,
    needs=(21,),
    fields=("relatives", *family_of(load_form()).gate_ids),
    row_fields=("ho_ten",),
)
def x11_family(ctx: Ctx) -> Iterator[Flag]:
    """Every relation the gate answers of (21) call for (the form's ``Relation.when``): the
    four grandparents, both parents or, as the gate "nuoi_duong" says, the person who raised
    the candidate (HD 38 "cha mẹ đẻ hoặc người nuôi dưỡng"); if married the spouse, both
    parents-in-law and the spouse's four grandparents; siblings / spouse's siblings /
    children as the gates say; one block per person, each with every fact its group requires.

    Death facts and party-member facts are left to X12 and X15. A relative's name not in
    capitals, or typed without any diacritics, is a warning here (the content is right).
    While a single block is being checked (check_field) missing relatives are not listed,
    and while one relative's row is (check_field with a row) only that block is.
    """
    family = family_of(ctx.form)
    if ctx.whole:
        present = Counter(str(r.get("quan_he", "")) for r in ctx.relatives)
        answers = family.gate_answers(ctx)
        yield from _unanswered_gates(ctx, family, answers, present)
        if ctx.focus is None or ctx.focus in family.gate_ids:
            yield from _missing_relatives(ctx, family, answers, present)
            yield from _denied_relatives(ctx, family, answers, present)
    seen: set[str] = set()  # the relations declared above (a second father is a duplicate)
    for i, rel in enumerate(ctx.relatives):
        if ctx.in_focus(i):
            yield from _relative_block(ctx, family, i, rel, seen)
        seen.add(str(rel.get("quan_he", "")))


def _unanswered_gates(
    ctx: Ctx, family: Family, answers: dict[str, str], present: Counter[str]
) -> Iterator[Flag]:
    """A gate asked (its own gate holds) but not answered yes or no. A gate whose blank
    answer the form accepts (cha/me when "nuoi_duong" is blank: dossiers written before the
    question existed) is not asked for while nobody its "có" would open is declared."""
    for gate in family.gates:
        if gate.when is not None and not gate.when.holds(answers):
            continue
        if not ctx.a(gate.id) and _blank_is_an_answer(family, gate.id, present):
            continue
        if answers[gate.id] == "" and (ctx.focus is None or ctx.focus == gate.id):
            yield ctx.flag(
                "X11",
                21,
                f"gate:{gate.id}",
                msg("X11", "gate", question=gate.prompt),
                field=gate.id,
            )


def _blank_is_an_answer(family: Family, gate: str, present: Counter[str]) -> bool:
    """Whether a blank ``gate`` opens relations of its own (the form accepts "" there) and
    nobody its "có" would open is declared."""
    relations = family.gated[gate]
    blank_opens = [r for r in relations if r.when is not None and "" in r.when.wanted]
    others = [r for r in relations if r not in blank_opens]
    return bool(blank_opens) and not any(present.get(r.code) for r in others)


def _missing_relatives(
    ctx: Ctx, family: Family, answers: dict[str, str], present: Counter[str]
) -> Iterator[Flag]:
    """The relations the gate answers call for, and nobody of them declared."""
    for relation in family.relations:
        if relation.applies(answers) and not present.get(relation.code):
            yield ctx.flag(
                "X11",
                21,
                f"missing:{relation.code}",
                msg("X11", "missing", label=relation.label),
                table=RELATIVES,
            )


def _denied_relatives(
    ctx: Ctx, family: Family, answers: dict[str, str], present: Counter[str]
) -> Iterator[Flag]:
    """Relatives declared although a gate answered "không" says there are none."""
    for gate in family.gates:
        if answers[gate.id] != "không":
            continue
        for relation in family.gated[gate.id]:
            if relation.applies({gate.id: "không"}) or not present.get(relation.code):
                continue
            yield ctx.flag(
                "X11",
                21,
                f"extra:{relation.code}",
                msg("X11", "extra", label=relation.label, question=gate.prompt),
                field=gate.id,
            )


def _relative_block(ctx: Ctx, family: Family, i: int, rel: Row, seen: set[str]) -> Iterator[Flag]:
    """One relative: a known relation, declared once unless several are allowed, every fact
    of its group given and readable, the name in capitals with diacritics."""
    code = str(rel.get("quan_he", ""))
    relation = family.by_code.get(code)
    if relation is None:
        yield _on_relative(ctx, "X11", i, msg("X11", "unknown", row=i + 1, who=who(ctx, rel)))
        return
    if not relation.multiple and code in seen:
        yield _on_relative(
            ctx, "X11", i, msg("X11", "duplicate", label=relation.label), key=f"dup:{code}:{i}"
        )
    missing = _unusable_facts(rel, family.own_facts.get(relation.group, ()))
    if missing:
        yield _on_relative(
            ctx, "X11", i, msg("X11", "incomplete", who=who(ctx, rel), missing=", ".join(missing))
        )
    problem = _name_problem(ctx, rel)
    if problem:
        yield _on_relative(
            ctx, "X11", i, problem, key=f"name:{i}", field="ho_ten", severity=WARNING
        )


def _unusable_facts(rel: Row, facts: tuple[FieldDef, ...]) -> list[str]:
    """The facts asked of this relative (their ``when`` holds) left blank while required, or
    unreadable (a year, a yes/no), as the message lists them."""
    out: list[str] = []
    for f in facts:
        if not f.applies(rel):
            continue
        value = rel.get(f.id, "")
        if v.blank(value):
            if f.required:
                out.append(f.label.lower())
        elif f.unknown_allowed and v.is_unknown(value):
            continue
        elif f.kind is Kind.YEAR and v.parse_year(value) is None:
            out.append(msg("X11", "year_format", label=f.label.lower()))
        elif f.kind is Kind.YES_NO and _yes(value) is None:
            out.append(msg("X11", "yes_no_format", label=f.label.lower()))
    return out


def _name_problem(ctx: Ctx, rel: Row) -> str:
    """A relative's name not in capitals, or without diacritics ("" when it is fine)."""
    name = str(rel.get("ho_ten", "")).strip()
    if not name or not any(ch.isalpha() for ch in name):
        return ""
    if name != vn.upper_vi(name):
        return msg("X11", "name_case", who=who(ctx, rel), upper=vn.upper_vi(name))
    if not vn.has_diacritics(name):
        return msg("X11", "name_no_diacritics", who=who(ctx, rel))
    return ""


# --- X12 -------------------------------------------------------------------------------------


@rule("X12", ERROR, needs=(21,), fields=("relatives",), row_fields=())
def x12_deceased(ctx: Ctx) -> Iterator[Flag]:
    """A deceased relative has the year, the cause and the place of death; the year is
    after the birth year and not in the future."""
    death_facts = family_of(ctx.form).death_facts
    for i, rel in ctx.focused_relatives():
        opened = death_facts[_yes_no_text(rel.get(DECEASED, ""))]
        if not opened:
            continue
        missing = _missing_facts(rel, opened)
        problems: list[str] = []
        year_text = str(rel.get("nam_mat", "")).strip()
        if year_text and not v.is_unknown(year_text):
            died = v.parse_year(year_text)
            born = v.parse_year(str(rel.get("nam_sinh", "")))
            if died is None or died > ctx.today.year or (born is not None and died < born):
                problems.append(msg("X12", "bad_year", value=year_text))
        if missing or problems:
            yield _on_relative(
                ctx,
                "X12",
                i,
                msg(
                    "X12",
                    "incomplete",
                    who=who(ctx, rel),
                    missing=", ".join(missing),
                    problems="; ".join(problems),
                ),
            )


# --- X13 -------------------------------------------------------------------------------------


def _year(rel: Row | None) -> int | None:
    return v.parse_year(str(rel.get("nam_sinh", ""))) if rel else None


def _first(ctx: Ctx, code: str) -> Row | None:
    for rel in ctx.relatives:
        if rel.get("quan_he") == code:
            return rel
    return None


@rule("X13", WARNING, needs=(3, 21), fields=("relatives",), row_fields=("nam_sinh",))
def x13_years(ctx: Ctx) -> Iterator[Flag]:
    """Plausible birth years (heuristic): parents 15–60 years older than their child,
    grandparents at least 15 years older than the parent on their side, children at least
    15 years younger, spouse and siblings within 25 years. Also no birth year in the future."""
    relations = family_of(ctx.form).by_code
    me = ctx.birth.year if ctx.birth else None
    spouse = _year(_first(ctx, "vo_chong"))
    father, mother = _year(_first(ctx, "cha")), _year(_first(ctx, "me"))
    father_vc, mother_vc = _year(_first(ctx, "cha_vc")), _year(_first(ctx, "me_vc"))
    side = {
        "ong_noi": father,
        "ba_noi": father,
        "ong_ngoai": mother,
        "ba_ngoai": mother,
        "ong_noi_vc": father_vc,
        "ba_noi_vc": father_vc,
        "ong_ngoai_vc": mother_vc,
        "ba_ngoai_vc": mother_vc,
    }
    for i, rel in ctx.focused_relatives():
        year = _year(rel)
        if year is None:
            continue
        code = str(rel.get("quan_he", ""))
        reason = None
        if year > ctx.today.year:
            reason = msg("X13", "future")
        elif code in ("cha", "me") and me is not None and not me - 60 <= year <= me - 15:
            reason = msg("X13", "parent", me=me)
        elif (
            code in ("cha_vc", "me_vc")
            and spouse is not None
            and not (spouse - 60 <= year <= spouse - 15)
        ):
            reason = msg("X13", "parent_vc", spouse=spouse)
        elif code in side:
            parent = side[code]
            own = relations[code].side == "self"
            grandchild = me if own else spouse
            if parent is not None and year > parent - 15:
                reason = msg("X13", "grandparent", parent=parent)
            elif parent is None and grandchild is not None and year > grandchild - 30:
                key = "grandparent_self" if own else "grandparent_spouse"
                reason = msg("X13", key, me=me, spouse=spouse)
        elif code == "vo_chong" and me is not None and abs(year - me) > 25:
            reason = msg("X13", "spouse", me=me)
        elif code == "anh_chi_em" and me is not None and abs(year - me) > 25:
            reason = msg("X13", "sibling", me=me)
        elif code == "anh_chi_em_vc" and spouse is not None and abs(year - spouse) > 25:
            reason = msg("X13", "sibling_vc", spouse=spouse)
        elif code == "con" and me is not None and year < me + 15:
            reason = msg("X13", "child", me=me)
        if reason:
            yield _on_relative(
                ctx,
                "X13",
                i,
                msg("X13", "implausible", who=who(ctx, rel), year=year, reason=reason),
                field="nam_sinh",
            )


# --- X14 -------------------------------------------------------------------------------------

#: Countries where Vietnamese relatives often live or work (folded). A residence whose LAST
#: part is one of them is abroad; matching only the last part keeps "Trường ĐH Y" (Ý),
#: "Tiếng Anh" or a relative named Nga or Đức from looking foreign.
_COUNTRY_NAMES: tuple[str, ...] = tuple(
    tomllib.loads((DATA_DIR / "countries.toml").read_text(encoding="utf-8"))["names"]
)  # forms/data/countries.toml
_COUNTRIES = frozenset(vn.match_key(c) for c in _COUNTRY_NAMES)
_WORLD = ("nuoc ngoai", "hai ngoai")
_PARTS = re.compile(r"[,;]")
#: How a country's name is often preceded: "CHLB Đức", "Cộng hòa Liên bang Đức", "nước Nhật".
_STATE_WORDS = re.compile(
    r"^(?:(?:nuoc|cong hoa|vuong quoc|lien bang|chlb|chxhcn|chdcnd|chnd|ch|cong hoa lien bang|"
    r"hop chung quoc|dai han dan quoc|nha nuoc|quoc gia)\s+)+"
)
#: Separators after which the country comes last: "Tokyo - Nhật Bản", "Seoul / Hàn Quốc".
_LAST_BIT = re.compile(r"\s+[-–—/]\s+|\s*[–—]\s*")


_COUNTRY_WRITTEN = {vn.match_key(c): c for c in _COUNTRY_NAMES}


def country_keys() -> frozenset[str]:
    """The countries the abroad rules know, as folded words ("han quoc", "duc")."""
    return _COUNTRIES


def country_name(key: str) -> str:
    """How a country of :func:`country_keys` is written ("han quoc" → "Hàn Quốc")."""
    return _COUNTRY_WRITTEN.get(key, key)


def _country(text: str) -> str | None:
    """The country ``text`` names as a whole, in its common forms, or None."""
    key = _STATE_WORDS.sub("", vn.match_key(text))
    return key if key in _COUNTRIES else None


@remembered(maxsize=4096)
def _foreign_place(text: str) -> str | None:
    """The country a residence ends with ("…, Hàn Quốc", "Tokyo - Nhật Bản", "Berlin (Đức)",
    "CHLB Đức", "Đài Loan (Trung Quốc)"), or "nuoc ngoai" if it says so. Only the last part
    is read, so "Trường ĐH Y" (Ý) or a relative named Đức does not look foreign. Read once
    per text: X14 reads every relative's residence again at each answer about that relative
    (its year of birth, its job), and each part's end and the end screen read them all."""
    if v.mentions(text, *_WORLD):
        return "nuoc ngoai"
    parts = [p for p in _PARTS.split(text or "") if p.strip()]
    if not parts:
        return None
    last = parts[-1].strip()
    outside = re.sub(r"\([^()]*\)", " ", last)
    candidates = [
        outside,
        *re.findall(r"\(([^()]*)\)", last),
        _LAST_BIT.split(outside.strip())[-1],
    ]
    for candidate in candidates:
        found = _country(candidate)
        if found:
            return found
    return None


@dataclass(frozen=True, slots=True)
class AbroadReason:
    """Why a living relative counts as abroad (any of the three; see :func:`relatives_abroad`).

    ``residence``: the residence as written, when it names a foreign country (else "");
    ``nationality``: a nationality other than Vietnamese (else ""); ``declared``: "đang ở
    nước ngoài" answered "có"; ``contradicted``: the residence is abroad but "đang ở nước
    ngoài" says "không" (X14 makes that an error).
    """

    residence: str = ""
    nationality: str = ""
    declared: bool = False
    contradicted: bool = False


def _abroad(rel: Row) -> AbroadReason | None:
    if not isinstance(rel, dict) or _yes(rel.get(DECEASED, "")) is True:
        return None
    residence = str(rel.get("cu_tru", "")).strip()
    nationality = str(rel.get("quoc_tich", "")).strip()
    said = _yes(rel.get("o_nuoc_ngoai", ""))
    place = _foreign_place(residence)
    foreign_national = bool(nationality) and vn.match_key(nationality) not in (
        "viet nam",
        "vn",
        "viet",
    )
    if not (said or place or foreign_national):
        return None
    return AbroadReason(
        residence=residence if place else "",
        nationality=nationality if foreign_national else "",
        declared=said is True,
        contradicted=bool(place) and said is False,
    )


def relatives_abroad(dossier: Dossier) -> list[tuple[int, AbroadReason]]:
    """The living relatives of (21) who live abroad or are foreign nationals, as (index in
    ``dossier.relatives``, reason), in dossier order: the people whose verification goes
    through the Vietnamese representation abroad (up to 90 working days, HD 06 3.4c). The
    same decision as rule X14, which reports them."""
    out = []
    for i, rel in enumerate(dossier.relatives):
        reason = _abroad(rel)
        if reason is not None:
            out.append((i, reason))
    return out


@rule("X14", WARNING, needs=(21,), fields=("relatives",), row_fields=("o_nuoc_ngoai", "cu_tru"))
def x14_abroad(ctx: Ctx) -> Iterator[Flag]:
    """A relative living abroad or of foreign nationality (:func:`relatives_abroad`): the
    chi bộ verifies through the Vietnamese representation abroad (up to 90 working days).
    A *warning* to plan for it.

    An *error* when the residence names a foreign country but "đang ở nước ngoài" says
    "không": leaving out a relative abroad is the fault the guidance names (the domain
    notes' "E if omitted").
    """
    for i, rel in ctx.focused_relatives():
        reason = _abroad(rel)
        if reason is None:
            continue
        residence = str(rel.get("cu_tru", ""))
        if reason.contradicted:
            yield _on_relative(
                ctx,
                "X14",
                i,
                msg("X14", "contradiction", who=who(ctx, rel), residence=residence),
                field="o_nuoc_ngoai",
                severity=ERROR,
            )
        else:
            yield _on_relative(
                ctx,
                "X14",
                i,
                msg(
                    "X14",
                    "abroad",
                    who=who(ctx, rel),
                    residence=residence,
                    nationality=reason.nationality,
                ),
                field="cu_tru",
            )


# --- X15 -------------------------------------------------------------------------------------


@rule("X15", WARNING, needs=(21,), fields=("relatives",), row_fields=("ngay_vao_dang",))
def x15_party_members(ctx: Ctx) -> Iterator[Flag]:
    """A relative who is a party member: admission date, party cell and where the file is
    kept, so the committee can confirm them (their history is then not re-verified).
    A warning as in the domain notes: it saves verification work, it is not a form fault.
    An admission date before the relative could be 18, or after their death, is flagged too.
    """
    party_facts = family_of(ctx.form).party_facts
    for i, rel in ctx.focused_relatives():
        opened = party_facts[_yes_no_text(rel.get(PARTY_MEMBER, ""))]
        if not opened:
            continue
        missing = _missing_facts(rel, opened)
        joined = str(rel.get("ngay_vao_dang", "")).strip()
        if v.is_unknown(joined):
            joined = ""  # "không rõ": the committee that keeps the file confirms it
        bad = bool(joined) and (
            v.parse_date(joined) is None or v.parse_date(joined) > ctx.today  # type: ignore[operator]
        )
        if missing or bad:
            yield _on_relative(
                ctx,
                "X15",
                i,
                msg(
                    "X15",
                    "incomplete",
                    who=who(ctx, rel),
                    missing=", ".join(missing),
                    bad_date=joined if bad else "",
                ),
            )
        elif joined:
            reason = _party_date_problem(rel, v.parse_date(joined))
            if reason:
                yield _on_relative(
                    ctx,
                    "X15",
                    i,
                    msg("X15", "implausible", who=who(ctx, rel), date=joined, reason=reason),
                    key=f"relatives:{i}:ngay_vao_dang",
                    field="ngay_vao_dang",
                )


def _party_date_problem(rel: Row, joined: date | None) -> str:
    """Why a relative's admission date cannot be right ("" when it can): admitted before
    the year they turned 18 (party members are at least 18), or after the year of death."""
    if joined is None:
        return ""
    born = _year(rel)
    if born is not None and joined.year - born < 18:
        return msg("X15", "too_young", born=born)
    died = v.parse_year(str(rel.get("nam_mat", ""))) if _yes(rel.get(DECEASED, "")) else None
    if died is not None and joined.year > died:
        return msg("X15", "after_death", died=died)
    return ""


# --- X18 -------------------------------------------------------------------------------------

_BRACKETS = re.compile(r"\([^()]*\)")


def _place_key(text: str) -> str:
    return vn.match_key(_BRACKETS.sub(" ", text))


@rule("X18", WARNING, needs=(6, 21), fields=("que_quan",))
def x18_hometown(ctx: Ctx) -> Iterator[Flag]:
    """(6) usually equals the father's hometown (the birth certificate takes it from him),
    or, when the person who raised the candidate is declared instead of the parents, that
    person's (HD 38 (6): "không rõ cha mẹ thì ghi quê của người nuôi dưỡng"); a difference
    is worth a second look, nothing more."""
    mine = ctx.a("que_quan")
    key, father = "differs", _first(ctx, "cha")
    if father is None:
        key, father = "differs_raiser", _first(ctx, RAISER)
    theirs = str(father.get("que_quan", "")) if father else ""
    if not mine or not theirs.strip() or v.is_unknown(theirs):
        return
    if _place_key(mine) != _place_key(theirs):
        yield ctx.flag(
            "X18",
            6,
            "que_quan",
            msg("X18", key, mine=mine, father=theirs),
            field="que_quan",
        )


# --- X19 -------------------------------------------------------------------------------------

_SIGNALS = (
    "bi bat",
    "bi tu",
    "tu giam",
    "giam giu",
    "an tu",
    "cai tao",
    "truy to",
    "tien an",
    "to chuc nuoc ngoai",
    "o nuoc ngoai",
    "phan dong",
    "gian doan sinh hoat",
)
_NEGATION = ("khong", "chua", "chang")
_CLAUSES = re.compile(r"[;.\n]+")


def affirmative_clauses(text: str, signals: tuple[str, ...]) -> list[str]:
    """Clauses of ``text`` that mention a signal and are not negated ("không bị bắt")."""
    out = []
    for clause in _CLAUSES.split(text or ""):
        if v.mentions(clause, *signals) and not v.mentions(clause, *_NEGATION):
            out.append(clause.strip())
    return out


@rule(
    "X19",
    WARNING,
    needs=(),
    reads=(16, 21),
    fields=("dac_diem_lich_su", "relatives"),
    row_fields=("tien_an", "chinh_tri"),
)
def x19_political(ctx: Ctx) -> Iterator[Flag]:
    """An arrest, imprisonment or foreign organisation in (16), or a relative's criminal
    record or political-standard note, sends the dossier to a political-standard review
    (QĐ 367-QĐ/TW) before the chi bộ votes."""
    history = ctx.a("dac_diem_lich_su") if ctx.whole else ""  # not on a relative's row
    for clause in affirmative_clauses(history, _SIGNALS):
        yield ctx.flag(
            "X19",
            16,
            "dac_diem_lich_su",
            msg("X19", "history", clause=clause),
            field="dac_diem_lich_su",
        )
        break
    for i, rel in ctx.focused_relatives():
        record = str(rel.get("tien_an", "")).strip()
        note = str(rel.get("chinh_tri", "")).strip()
        if record and not v.is_khong(record) and not v.mentions(record, *_NEGATION):
            yield _on_relative(
                ctx,
                "X19",
                i,
                msg("X19", "record", who=who(ctx, rel), value=record),
                key=f"relatives:{i}:tien_an",
                field="tien_an",
            )
        if note and not v.mentions(note, *_NEGATION):
            yield _on_relative(
                ctx,
                "X19",
                i,
                msg("X19", "note", who=who(ctx, rel), value=note),
                key=f"relatives:{i}:chinh_tri",
                field="chinh_tri",
            )
