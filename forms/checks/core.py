"""The rule engine: flags, the rule registry and the three ways of running rules.

Every rule is a small function ``fn(ctx) -> Iterable[Flag]`` registered with
:func:`rule`. A rule declares the booklet items it reads (``needs``) and the answers that
should trigger it right after they are given (``fields``); the engine uses those
declarations to run a rule only when its inputs exist (scope ``"answered"``), or always
(scope ``"all"``, used before submission). Rules never raise on odd input: values are parsed
through the cached helpers of :mod:`forms.checks.values`, which return ``None`` instead of
raising.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection, Iterable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass, field, replace
from datetime import date
from functools import cache, cached_property
from typing import Any, Literal

from forms import texts
from forms.checks import values as v
from forms.definition import load_form
from forms.dossier import Dossier, Row
from forms.flags import ERROR as ERROR
from forms.flags import WARNING as WARNING
from forms.flags import Flag as Flag
from forms.flags import Severity as Severity
from forms.model import FormDef, ItemDef
from forms.parsers import Month

log = logging.getLogger(__name__)

Scope = Literal["all", "answered"]

#: Who reads a run's flags: the candidate (``templates/rules.toml``, which speaks to them and
#: says how to fix it in the chat) or a reviewer or secretary (``templates/rules_review.toml``:
#: a check's result about «người khai», where the candidate's text addresses the candidate).
Reader = Literal["candidate", "reviewer"]
_READER: ContextVar[Reader] = ContextVar("flag_reader", default="candidate")

#: Pseudo table id used to anchor a flag on a relative of item (21).
RELATIVES = "relatives"


RuleFn = Callable[["Ctx"], Iterable[Flag]]


@dataclass(frozen=True, slots=True)
class Rule:
    """A registered rule: id, default severity, the items it reads and its trigger fields."""

    id: str
    severity: Severity
    needs: tuple[int, ...]
    fields: tuple[str, ...]
    fn: RuleFn = field(repr=False, compare=False)
    reads: tuple[int, ...] = ()
    #: The fields its flags on a row (of a table, of the relatives) may name; None: not
    #: declared (any). A row being filled in shows only flags naming the answer's field, so
    #: a rule that cannot name it is not run then (check_field's ``naming``).
    row_fields: tuple[str, ...] | None = None

    @property
    def items(self) -> frozenset[int]:
        """Every item the rule looks at (what check_items selects on)."""
        return frozenset(self.needs) | frozenset(self.reads)

    @property
    def title(self) -> str:
        """Short Vietnamese name of the rule (``templates/rules.toml`` → ``[id] title``)."""
        return msg(self.id, "title")

    @property
    def doc(self) -> str:
        return (self.fn.__doc__ or "").strip()


RULES: dict[str, Rule] = {}


def rule(
    rule_id: str,
    severity: Severity,
    *,
    needs: Iterable[int],
    fields: Iterable[str] = (),
    reads: Iterable[int] = (),
    row_fields: Iterable[str] | None = None,
) -> Callable[[RuleFn], RuleFn]:
    """Register ``fn`` as rule ``rule_id`` (ids are unique; registering twice is a bug).

    ``needs``: items that must have an answer before the rule can say anything useful
    (scope "answered"). ``reads``: further items it looks at, e.g. the item whose blank
    answer it reports. ``fields``: answers after which the chat should run it.
    ``row_fields``: the fields its flags on a row may name (:attr:`Rule.row_fields`).
    """

    def deco(fn: RuleFn) -> RuleFn:
        if rule_id in RULES:
            raise ValueError(f"rule {rule_id} registered twice")
        named = tuple(row_fields) if row_fields is not None else None
        RULES[rule_id] = Rule(
            rule_id, severity, tuple(needs), tuple(fields), fn, tuple(reads), named
        )
        return fn

    return deco


def msg(rule_id: str, key: str, /, **kw: Any) -> str:
    """The Vietnamese text ``templates/rules.toml`` → ``[rule_id] key``; in a reviewer's run
    (:data:`Reader`) ``templates/rules_review.toml``'s, where it has one."""
    if _READER.get() == "reviewer" and texts.has_text(f"rules_review.{rule_id}.{key}"):
        return texts.message(f"rules_review.{rule_id}.{key}", **kw)
    return texts.message(f"rules.{rule_id}.{key}", **kw)


class Ctx:
    """One run over one dossier: the dossier, the reference dates and cached derived values.

    Derived values (birth date, parsed periods, the reference date) are computed once per run
    and shared by every rule; string parsing itself is cached process-wide in ``values``.
    """

    def __init__(
        self,
        dossier: Dossier,
        today: date | None,
        scope: Scope = "all",
        focus: str | None = None,
        items: frozenset[int] | None = None,
        row: int | None = None,
    ) -> None:
        self.d = dossier
        self.today = today or date.today()
        self.scope = scope
        self.focus = focus  # the field id of a check_field run
        self.items = items  # the items of a check_items run
        self.row = row  # the one row (table row, relative) a check_field run is about
        self._answered: dict[int, bool] = {}
        self.form: FormDef = load_form(
            dossier.form_version if dossier.form_version in ("HD38-2025",) else "HD38-2025"
        )

    # --- plain access ---------------------------------------------------------------------
    def a(self, field_id: str) -> str:
        """The answer to ``field_id`` stripped ("" when missing or not text)."""
        value = self.d.answers.get(field_id, "")
        return value.strip() if isinstance(value, str) else ""

    def rows(self, table_id: str) -> list[Row]:
        rows = self.d.tables.get(table_id) or []
        return [r if isinstance(r, dict) else {} for r in rows]

    @cached_property
    def relatives(self) -> list[Row]:
        """The relatives' rows (several rules of a run read them: listed once)."""
        return [r if isinstance(r, dict) else {} for r in self.d.relatives]

    def focused_relatives(self) -> list[tuple[int, Row]]:
        """The relatives whose flags are wanted, with their index (:meth:`in_focus`): in a
        check_field run about one row that row only, not a walk over every relative."""
        relatives, row = self.relatives, self.row
        if row is None:
            return list(enumerate(relatives))
        return [(row, relatives[row])] if 0 <= row < len(relatives) else []

    def answered(self, number: int) -> bool:
        """Whether item ``number`` has any answer (memoised for the run)."""
        if number not in self._answered:
            self._answered[number] = item_answered(self.d, number)
        return self._answered[number]

    def wants(self, number: int, field_id: str | None = None) -> bool:
        """Whether a completeness rule should report a blank in item ``number`` now.

        Always before submission (scope "all"); in a check_field run only for the field just
        answered; in a check_items run for the items of that part (they have all been
        asked); otherwise (scope "answered") only in items already started.
        """
        if self.focus is not None:
            return field_id == self.focus or (field_id is None and self.answered(number))
        if self.items is not None:
            return number in self.items
        return self.scope == "all" or self.answered(number)

    def wants_item(self, number: int) -> bool:
        """Whether :meth:`wants` may hold for some answer of item ``number`` (False: the
        item can be passed over whole, as a part's run passes over the other parts)."""
        if self.focus is not None:
            return True  # it depends on the field
        return self.wants(number)

    def in_focus(self, row: int) -> bool:
        """Whether the flags of ``row`` (of a table or of the relatives) are wanted: in a
        check_field run about one row only that row's; rules still read the others."""
        return self.row is None or row == self.row

    @property
    def whole(self) -> bool:
        """Whether flags on no row are wanted (not in a check_field run about one row)."""
        return self.row is None

    # --- reference dates ------------------------------------------------------------------
    @cached_property
    def meeting(self) -> date | None:
        return self.d.meta.chi_bo_meeting

    @cached_property
    def ref_date(self) -> date:
        """The date eligibility is judged on: the chi bộ meeting if known, else today."""
        return self.meeting or self.today

    @cached_property
    def ref_label(self) -> str:
        when = v.format_date(self.ref_date)
        return f"ngày chi bộ họp xét ({when})" if self.meeting else f"hôm nay ({when})"

    @cached_property
    def now_month(self) -> Month:
        """What "nay" means in a period: the current month."""
        return Month.of(self.today)

    @cached_property
    def birth(self) -> date | None:
        """Date of birth, or None when unreadable or in the future (F3 reports that)."""
        born = v.parse_date(self.a("ngay_sinh"))
        return born if born is not None and born <= self.today else None

    # --- periods ----------------------------------------------------------------------------
    def periods(self, table_id: str) -> list[v.Span | None]:
        """Parsed period of each row of a table, ``None`` where it is unreadable."""
        cache = self.__dict__.setdefault("_periods", {})
        if table_id not in cache:
            cache[table_id] = [
                v.parse_span(str(r.get("tu", "")), str(r.get("den", "")), self.now_month)
                for r in self.rows(table_id)
            ]
        return cache[table_id]

    # --- flag factory -----------------------------------------------------------------------
    def flag(
        self,
        rule_id: str,
        item: int,
        key: str,
        message: str,
        *,
        field: str | None = None,
        table: str | None = None,
        row: int | None = None,
        severity: Severity | None = None,
    ) -> Flag:
        full_key = f"{rule_id}:{key}" if key else rule_id
        return Flag(
            rule=rule_id,
            severity=severity or RULES[rule_id].severity,
            item=item,
            message=message,
            key=full_key,
            field=field,
            table=table,
            row=row,
        )


# --- what counts as "answered" ---------------------------------------------------------------


def item_answered(d: Dossier, number: int) -> bool:
    """Whether any answer of item ``number`` exists (a field, a table row, a relative)."""
    item = _items_by_number().get(number)
    if item is None:
        return False
    if item.table is not None:
        return bool(d.tables.get(item.table.id))
    if item.relatives is not None and d.relatives:
        return True
    return any(str(d.answers.get(f.id, "") or "").strip() for f in item.fields)


@cache
def _items_by_number() -> dict[int, ItemDef]:
    return {it.number: it for it in load_form().items()}


def _field_item(field_id: str) -> int | None:
    """The item of a scalar field or table id; relative fields (and "relatives") → 21."""
    try:
        return load_form().item_of_field(field_id).number
    except KeyError:
        pass
    if field_id == RELATIVES or field_id in _relative_field_ids():
        return 21
    return None


def _relative_field_ids() -> frozenset[str]:
    cached = _REL_IDS.get("ids")
    if cached is None:
        cached = frozenset({"quan_he", *(f.id for f in load_form().relatives().fields)})
        _REL_IDS["ids"] = cached
    return cached


_REL_IDS: dict[str, frozenset[str]] = {}


# --- running ---------------------------------------------------------------------------------


def _execute(
    d: Dossier,
    rules: Iterable[Rule],
    today: date | None,
    strict: bool,
    scope: Scope = "all",
    focus: str | None = None,
    items: frozenset[int] | None = None,
    row: int | None = None,
) -> list[Flag]:
    ctx = Ctx(d, today, scope, focus, items, row)
    out: list[Flag] = []
    for r in rules:
        try:
            out.extend(r.fn(ctx))
        except Exception as exc:
            if strict:
                raise
            # which rule failed and how, never the message or a traceback: they may quote the
            # dossier's content (issue 11)
            log.error("check %s failed on a dossier: %s", r.id, type(exc).__name__)
    if row is not None:  # one row's run: that row's flags only (see check_field)
        out = [f for f in out if f.row == row]
    order = _rule_order(tuple(RULES))
    out.sort(key=lambda f: (f.item, order.get(f.rule, 0), f.row if f.row is not None else -1))
    explanations = d.explanations
    if explanations:
        out = [
            replace(f, explanation=explanations[f.key]) if f.key in explanations else f for f in out
        ]
    return out


def _triggered(field_id: str) -> list[Rule]:
    """The rules an answer to ``field_id`` triggers (``fields``), in :data:`RULES`' order."""
    return [RULES[rule_id] for rule_id in _triggers(tuple(RULES)).get(field_id, ())]


@cache
def _triggers(ids: tuple[str, ...]) -> dict[str, tuple[str, ...]]:
    """For each trigger field, the ids of the rules it triggers: built once, not by a walk
    over every rule at every answer (the rules are read from :data:`RULES` at each run, so
    a test that swaps one still runs its own)."""
    found: dict[str, list[str]] = {}
    for rule_id in ids:
        for field_id in set(RULES[rule_id].fields):  # a field named twice: the rule once
            found.setdefault(field_id, []).append(rule_id)
    return {field_id: tuple(rules) for field_id, rules in found.items()}


@cache
def _answer_plan(field_id: str, ids: tuple[str, ...]) -> tuple[int | None, str, tuple[str, ...]]:
    """What an answer to ``field_id`` runs, worked out once per field (not at every answer):
    its item, the field the rules are looked up by — a relative's fact that triggers no
    rule of its own runs item (21)'s (``"relatives"``) — and the ids of those rules."""
    own = _field_item(field_id)
    triggers = _triggers(ids)
    if own == 21 and not triggers.get(field_id):
        field_id = RELATIVES
    return own, field_id, triggers.get(field_id, ())


@cache
def _rule_order(ids: tuple[str, ...]) -> dict[str, int]:
    """Each rule's place in :data:`RULES` (flags sort by it); ``forms.checks`` puts RULES
    in the domain notes' order once, at import, so this is built once."""
    return {rule_id: n for n, rule_id in enumerate(ids)}


def _answered_filter(d: Dossier, rules: Iterable[Rule], forced: set[int]) -> Iterator[Rule]:
    memo: dict[int, bool] = {}
    for r in rules:
        ok = True
        for n in r.needs:
            if n in forced:
                continue
            if n not in memo:
                memo[n] = item_answered(d, n)
            if not memo[n]:
                ok = False
                break
        if ok:
            yield r


def run_checks(
    dossier: Dossier,
    *,
    today: date | None = None,
    scope: Scope = "all",
    rules: Iterable[str] | None = None,
    strict: bool = False,
    finished: Iterable[int] | None = None,
    reader: Reader = "candidate",
) -> list[Flag]:
    """Run every rule (or the given rule ids) over ``dossier``, its texts for ``reader``.

    ``scope="all"`` runs each rule whatever has been answered (the submission check: a
    missing answer is itself a problem); ``scope="answered"`` runs a rule only when every
    item it reads has at least one answer. ``today`` defaults to the real date; tests pass
    it explicitly. ``strict`` re-raises a failing rule instead of logging it (tests).

    ``finished``: the items the conversation has finished (progress while filling in, e.g.
    /tiendo). A rule then waits until every item it needs is finished, and a blank is
    reported only in a finished item: an item being filled in (the first grandparent of
    (21) entered, the first row of (17)) is not reported as missing the rest. ``scope`` is
    not used then.
    """
    chosen = [RULES[r] for r in rules] if rules is not None else list(RULES.values())
    token = _READER.set(reader)
    try:
        if finished is not None:
            done = frozenset(finished)
            chosen = [r for r in chosen if done.issuperset(r.needs)]
            return _execute(dossier, chosen, today, strict, "answered", items=done)
        if scope == "answered":
            chosen = list(_answered_filter(dossier, chosen, set()))
        return _execute(dossier, chosen, today, strict, scope)
    finally:
        _READER.reset(token)


def check_items(
    dossier: Dossier,
    item_numbers: Iterable[int],
    *,
    today: date | None = None,
    scope: Scope = "answered",
    strict: bool = False,
    finished: Iterable[int] | None = None,
) -> list[Flag]:
    """Rules that read any of ``item_numbers``: the cross-field checks at the end of a part.

    The given items count as finished: a required answer still blank in them is reported.
    With the default ``scope="answered"`` a rule that also needs a later, still unanswered
    item waits until that item is answered; ``scope="all"`` runs them anyway. With
    ``finished`` (the items the conversation has finished) such a rule waits until that
    item is finished, not merely started (``scope`` is not used then).
    """
    wanted = frozenset(item_numbers)
    chosen = [r for r in RULES.values() if wanted & r.items]
    if finished is not None:
        done = wanted | frozenset(finished)
        chosen = [r for r in chosen if done.issuperset(r.needs)]
    elif scope == "answered":
        chosen = list(_answered_filter(dossier, chosen, set(wanted)))
    return _execute(dossier, chosen, today, strict, scope, items=wanted)


def needed_by(item_numbers: Iterable[int]) -> frozenset[int]:
    """The items whose being finished can change what :func:`check_items` runs for
    ``item_numbers`` (the needs of the rules reading them): a caller passing ``finished``
    need only tell these apart, not walk the whole form."""
    wanted = frozenset(item_numbers)
    return frozenset(n for r in RULES.values() if wanted & r.items for n in r.needs)


def check_field(
    dossier: Dossier,
    field_id: str,
    *,
    today: date | None = None,
    strict: bool = False,
    row: int | None = None,
    naming: Collection[str] | None = None,
) -> list[Flag]:
    """Rules triggered by one answer, to run right after the candidate gives it.

    ``field_id`` is a scalar field id, a table id or a relative field id (or
    ``"relatives"``). The field's own item counts as answered (a blank answer is exactly
    what some rules report); other items a rule reads must already have answers. ``row``:
    the answer is in that row of a table or of the relatives, and only that row's flags are
    wanted: they are the whole run's flags on that row, and nothing else is reported (the
    rules skip the other rows and what is about no row — the family as a whole, item (16) —
    which waits for the part's end, :func:`check_items`). ``naming`` (with ``row``): only
    flags naming one of these fields are wanted — the chat's while a row is being filled in
    — so the rules whose flags on a row cannot name one (:attr:`Rule.row_fields`) are not
    run; the others still report all they find.
    """
    own, field_id, ids = _answer_plan(field_id, tuple(RULES))
    chosen = [RULES[rule_id] for rule_id in ids]
    if row is not None and naming is not None:
        wanted = frozenset(naming)
        chosen = [r for r in chosen if r.row_fields is None or not wanted.isdisjoint(r.row_fields)]
    forced = {own} if own is not None else set()
    chosen = list(_answered_filter(dossier, chosen, forced))
    return _execute(dossier, chosen, today, strict, "answered", field_id, row=row)
