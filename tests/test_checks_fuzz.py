"""The checks never raise on odd input: random text in any answer, cell or relative fact,
rows removed or duplicated, gate answers flipped. Every result is a well-formed Flag."""

from __future__ import annotations

from datetime import date

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from forms.checks import RULES, Flag, check_field, check_items, run_checks
from forms.definition import load_form
from forms.dossier import Dossier
from tests.samples import load_sample

# Texts that sit near the edges of what the parsers accept, mixed with arbitrary unicode.
TRICKY = [
    "",
    " ",
    "nay",
    "Nay",
    "hiện nay",
    "...",
    "…",
    "3xx",
    "có",
    "không",
    "k",
    "12/12",
    "00/0000",
    "13/2020",
    "31/02/2001",
    "29/02/2000",
    "01/01/1800",
    "31/12/2100",
    "9999",
    "1/1",
    "0/12",
    "12/12 bổ túc",
    "tốt nghiệp THPT",
    "( )",
    "(trước đây là",
    "xã , tỉnh",
    "Hàn Quốc",
    "Tokyo, Nhật Bản",
    "Nhật",
    "bị bắt",
    "chức sắc",
    "Đảng viên chính thức",
    "Nghị quyết BCH Đoàn cơ sở",
    "LÊ HOÀNG NAM",
    "lê hoàng nam",
    "H'MÔNG",
    "🙂",
    "\x00",
    "\u200b",
    "a" * 500,
    "09/2019 - nay",
    "06/2024",
    "02/2023",
]
text = st.one_of(st.sampled_from(TRICKY), st.text(max_size=40))

FORM = load_form()
FIELD_IDS = [f.id for _, f in FORM.scalar_fields()]
TABLE_IDS = [t.id for _, t in FORM.tables()]
REL_FIELDS = ["quan_he", *(f.id for f in FORM.relatives().fields)]
RELATIONS = [r.code for r in FORM.relatives().relations]


@st.composite
def mangled(draw: st.DrawFn) -> Dossier:
    d = load_sample(draw(st.sampled_from("abc")))
    for _ in range(draw(st.integers(0, 12))):
        where = draw(st.sampled_from(["answer", "cell", "relative", "rows", "relation"]))
        if where == "answer":
            d.answers[draw(st.sampled_from(FIELD_IDS))] = draw(text)
        elif where == "cell":
            table = draw(st.sampled_from(TABLE_IDS))
            rows = d.tables.setdefault(table, [])
            if not rows:
                rows.append({})
            row = rows[draw(st.integers(0, len(rows) - 1))]
            row[
                draw(
                    st.sampled_from(
                        [
                            "tu",
                            "den",
                            "viec",
                            "noi_dung",
                            "van_bang",
                            "nuoc",
                            "loai",
                            "cung_cong_tac_tu",
                            "thang_nam",
                            "ly_do_hinh_thuc",
                        ]
                    )
                )
            ] = draw(text)
        elif where == "relative" and d.relatives:
            person = d.relatives[draw(st.integers(0, len(d.relatives) - 1))]
            person[draw(st.sampled_from(REL_FIELDS))] = draw(text)
        elif where == "relation" and d.relatives:
            person = d.relatives[draw(st.integers(0, len(d.relatives) - 1))]
            person["quan_he"] = draw(st.sampled_from([*RELATIONS, "", "chú"]))
        elif where == "rows":
            table = draw(st.sampled_from([*TABLE_IDS, "relatives"]))
            rows = d.relatives if table == "relatives" else d.tables.setdefault(table, [])
            if rows and draw(st.booleans()):
                rows.pop(draw(st.integers(0, len(rows) - 1)))
            elif rows:
                rows.append(dict(rows[draw(st.integers(0, len(rows) - 1))]))
    if draw(st.booleans()):
        d.meta.chi_bo_meeting = draw(
            st.one_of(st.none(), st.dates(date(1900, 1, 1), date(2100, 1, 1)))
        )
    if draw(st.booleans()):
        d.meta.dossier_opened = draw(
            st.one_of(st.none(), st.dates(date(1900, 1, 1), date(2100, 1, 1)))
        )
    return d


def _well_formed(flags: list[Flag]) -> None:
    assert all(isinstance(f, Flag) for f in flags)
    for f in flags:
        assert f.rule in RULES and f.severity in ("error", "warning")
        assert f.message.strip() and f.key.startswith(f.rule)
        assert isinstance(f.item, int)
    keys = [f.key for f in flags]
    assert len(keys) == len(set(keys)), "two flags share a key"


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(d=mangled(), today=st.dates(date(2000, 1, 1), date(2099, 12, 31)))
def test_checks_never_raise_on_mangled_dossiers(d: Dossier, today: date) -> None:
    _well_formed(run_checks(d, today=today, strict=True))
    _well_formed(run_checks(d, today=today, scope="answered", strict=True))


@settings(max_examples=60, deadline=None)
@given(
    d=mangled(),
    field=st.sampled_from([*FIELD_IDS, *TABLE_IDS, "relatives", "nam_mat", "không có"]),
    items=st.lists(st.sampled_from([it.number for it in FORM.items()]), max_size=4),
)
def test_partial_checks_never_raise(d: Dossier, field: str, items: list[int]) -> None:
    whole = check_field(d, field, today=date(2026, 6, 1), strict=True)
    _well_formed(whole)
    _well_formed(check_items(d, items, today=date(2026, 6, 1), strict=True))
    for row in range(3):  # one row's run: that row's flags, as in the whole, and no others
        one = check_field(d, field, today=date(2026, 6, 1), strict=True, row=row)
        assert one == [f for f in whole if f.row == row]


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(d=mangled())
def test_flags_on_a_row_name_only_the_fields_their_rule_declares(d: Dossier) -> None:
    """``row_fields`` (issue 17) lets a row being filled in skip the rules that cannot name
    the answer's field: a rule's flags on a row never name a field it did not declare."""
    for f in run_checks(d, today=date(2026, 6, 1), strict=True):
        declared = RULES[f.rule].row_fields
        if f.row is not None and f.field and declared is not None:
            assert f.field in declared, (f.rule, f.field)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    d=mangled(),
    target=st.sampled_from([*TABLE_IDS, *REL_FIELDS]),
    named=st.sampled_from([*REL_FIELDS, "tu", "den", "viec", "noi_dung", "thang_nam"]),
)
def test_a_row_run_naming_a_field_gives_that_fields_flags_as_the_full_row_run(
    d: Dossier, target: str, named: str
) -> None:
    """What the chat shows while a row is filled in (the flags naming the answer's field)
    is the same whether the rules that cannot name it run or not."""
    for row in range(3):
        full = check_field(d, target, today=date(2026, 6, 1), strict=True, row=row)
        fewer = check_field(
            d, target, today=date(2026, 6, 1), strict=True, row=row, naming=(named,)
        )
        assert [f for f in fewer if f.field == named] == [f for f in full if f.field == named]


def test_a_rule_that_breaks_does_not_break_the_others(monkeypatch) -> None:
    """Outside tests (strict=False) a failing rule is logged and skipped, never raised."""
    boom = RULES["F4"]

    def explode(ctx):
        raise RuntimeError("bug")

    monkeypatch.setitem(
        RULES, "F4", boom.__class__(boom.id, boom.severity, boom.needs, boom.fields, explode)
    )
    flags = run_checks(load_sample("c"), today=date(2026, 6, 1))
    assert {f.rule for f in flags if f.severity == "error"} == {"F1", "F8", "X2", "X4", "X12"}
