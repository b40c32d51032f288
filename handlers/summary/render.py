"""The summary's text in Vietnamese (decimal comma, "58 %", dd/mm), through
``templates/secretary/summary.j2``; also the one-line form of an overdue item, which the
digest and the card share."""

from __future__ import annotations

from datetime import date
from typing import Any

from admission.deadlines import CLOCKS, UPCOMING
from admission.stages import ADULT_MONTHS, PHASES, person_label, probation_end
from admission.workdays import add_months, from_day_number
from forms import texts
from forms.parsers import format_date
from handlers.summary.audience import PRIVATE, Audience
from handlers.summary.model import Summary
from storage.stages import OverdueItem

# ---------------------------------------------------------------------------------------------
# Vietnamese number formatting


def fmt_int(n: int) -> str:
    """12345 → "12.345" (Vietnamese thousands separator)."""
    return f"{n:,}".replace(",", ".")


def fmt_decimal(x: float, places: int = 1) -> str:
    """1.74 → "1,7"; 2.0 → "2"; 1234.5 → "1.234,5"."""
    text = f"{x:,.{places}f}"
    whole, _, frac = text.partition(".")
    whole = whole.replace(",", ".")
    frac = frac.rstrip("0")
    return f"{whole},{frac}" if frac else whole


def fmt_percent(part: int, whole: int) -> str:
    """87 of 150 → "58 %"; 191 of 200 → "95,5 %"; whole 0 → "–"."""
    if whole <= 0:
        return "–"
    return f"{fmt_decimal(100 * part / whole)} %"


def fmt_date(d: date, *, year: bool = True) -> str:
    return format_date(d) if year else f"{d.day:02d}/{d.month:02d}"


# ---------------------------------------------------------------------------------------------
# Text


def _flag_title(rule: str) -> str:
    try:
        from forms.checks import RULES  # the rules are slow to import: when first asked

        return RULES[rule].title if rule in RULES else rule
    except Exception:  # a rule renamed since the cache was filled
        return rule


def overdue_line(
    item: OverdueItem, unit_names: dict[int, str], audience: Audience = PRIVATE
) -> str:
    """One overdue item as a line of text, as much as ``audience`` may read."""
    end = ""
    if item.clock in ("probation_ending", "probation_over"):
        end = fmt_date(probation_end(item.since_d))
    elif item.clock == "under_18":  # since: the date of birth
        end = fmt_date(add_months(from_day_number(item.since_d), ADULT_MONTHS))
    return texts.message(
        f"secretary.clock_item.{item.clock}",
        name=audience.name(item.full_name, item.dossier_id),
        unit=unit_names.get(item.unit_id or 0, ""),
        since=fmt_date(from_day_number(item.since_d)),
        person=person_label(item.person) if item.person else "",
        abroad=item.abroad,
        reason=audience.reason(item.abroad_reason),
        end=end,
        details=audience.details,
    )


def _target_view(summary: Summary) -> dict[str, Any] | None:
    t = summary.year_target
    if t is None:
        return None
    return {
        "year": t.year,
        "target": fmt_int(t.target),
        "deadline": fmt_date(t.deadline, year=t.deadline.year != t.year),
        "admitted": fmt_int(t.admitted),
        "percent": fmt_percent(t.admitted, t.target),
        "days_left": fmt_int(t.days_left) if t.days_left >= 0 else "",
        "overdue_days": fmt_int(-t.days_left) if t.days_left < 0 else "",
        "reached": t.remaining == 0,
        "remaining": fmt_int(t.remaining),
        # under a week left, a pace "per week" reads oddly: say how many are missing
        "last_day": t.days_left == 0,
        "per_week": fmt_decimal(t.per_week) if t.per_week is not None and t.days_left >= 7 else "",
    }


def _term_view(summary: Summary) -> dict[str, Any] | None:
    if summary.term is None:
        return None
    return {
        "label": f"{summary.term.start_year}–{summary.term.end_year}",
        "target": fmt_int(summary.term.target),
        "admitted": fmt_int(summary.term.admitted),
        "percent": fmt_percent(summary.term.admitted, summary.term.target),
    }


def _sub_views(summary: Summary) -> list[dict[str, Any]]:
    subs = []
    for line in summary.sub_units:
        parts = [
            f"{texts.message(f'secretary.phases_short.{p}').lower()} {fmt_int(n)}"
            for p in PHASES
            if (n := line.phases.get(p, 0))
        ]
        subs.append(
            {
                "name": line.name,
                "total": fmt_int(line.total),
                "parts": ", ".join(parts),
                "admitted": fmt_int(line.admitted),
                "target": fmt_int(line.target) if line.target is not None else "",
                "percent": fmt_percent(line.admitted, line.target) if line.target else "",
            }
        )
    return subs


def _clock_groups(summary: Summary, audience: Audience) -> dict[str, list[dict[str, object]]]:
    """Each clock with items, under «Quá hạn» or (a deadline still ahead) «Sắp đến hạn»."""
    by_clock: dict[str, list[OverdueItem]] = {}
    for item in summary.overdue_items:
        by_clock.setdefault(item.clock, []).append(item)
    groups: dict[str, list[dict[str, object]]] = {"overdue": [], "upcoming": []}
    for clock in CLOCKS:
        count = summary.overdue_counts.get(clock, 0)
        if not count:
            continue
        shown = [overdue_line(i, summary.unit_names, audience) for i in by_clock.get(clock, [])]
        groups["upcoming" if clock in UPCOMING else "overdue"].append(
            {
                "title": texts.message(f"secretary.clocks.{clock}"),
                "count": fmt_int(count),
                "lines": shown,
                "more": fmt_int(count - len(shown)) if count > len(shown) else "",
            }
        )
    return groups


def _under_age_view(summary: Summary, audience: Audience) -> dict[str, Any] | None:
    if not summary.under_age_count:
        return None
    return {
        "count": fmt_int(summary.under_age_count),
        "lines": [overdue_line(i, summary.unit_names, audience) for i in summary.under_age_items],
        "more": fmt_int(summary.under_age_count - len(summary.under_age_items)),
    }


def _quality_view(summary: Summary) -> dict[str, str]:
    q = summary.quality
    return {
        "approved": fmt_int(q.approved),
        "first_time": fmt_int(q.first_time),
        "share": fmt_percent(q.first_time, q.approved),
        "average": fmt_decimal(q.average_returns, 2) if q.average_returns is not None else "",
    }


def render_summary(summary: Summary, audience: Audience = PRIVATE) -> str:
    """The short Vietnamese text of the summary, as much as ``audience`` may read."""
    levels = ", ".join(
        f"{name.lower()} {fmt_int(n)}" for name, n in summary.submitted_by_level.items()
    )
    phase_lines = [
        {
            "label": texts.message(f"secretary.phases.{p}"),
            "count": fmt_int(n),
            "extra": levels if p == "submitted" else "",
        }
        for p, n in summary.phases.items()
        if n
    ]
    clock_groups = _clock_groups(summary, audience)
    return texts.render(
        "secretary/summary.j2",
        unit=summary.unit_name,
        today=fmt_date(summary.today),
        total=fmt_int(summary.total),
        phases=phase_lines,
        target=_target_view(summary),
        admitted_year=fmt_int(summary.admitted_this_year),
        year=summary.today.year,
        term=_term_view(summary),
        subs=_sub_views(summary),
        overdue=clock_groups["overdue"],
        upcoming=clock_groups["upcoming"],
        under_age=_under_age_view(summary, audience),
        quality=_quality_view(summary),
        flags=[{"title": _flag_title(rule), "count": fmt_int(n)} for rule, n in summary.top_flags],
        medians=[
            {"label": texts.message(f"secretary.durations.{name}"), "days": fmt_decimal(days)}
            for name, days in summary.medians.items()
        ],
    )
