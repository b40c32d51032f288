"""The secretaries' summary: what it computes, and how it reads in Vietnamese.

Split so each part is fast and testable on its own:

* :func:`admission.deadlines.cutoffs` turns today's date and the guidance's clocks into
  day-number cut-offs, once per summary;
* :mod:`.load` runs a handful of aggregate queries for a unit and everything below it and
  hands the rows to :func:`.model.build_summary`, a pure function that adds percentages, pace,
  medians and the per-sub-unit roll-up;
* :mod:`.render` formats the result with Vietnamese conventions (decimal comma, "58 %",
  dd/mm) through ``templates/secretary/summary.j2``;
* :mod:`.flags` keeps the per-revision flag cache the summary counts from;
* :mod:`.audience` says what a message may show where it goes (a group: no details, names
  only where the unit allowed them).
"""

from handlers.summary.audience import PRIVATE, Audience, group_audience, has_details
from handlers.summary.flags import (
    FlagChecker,
    default_checker,
    refresh_flag_cache,
    refresh_flags_in,
)
from handlers.summary.load import load_level_names, load_summary
from handlers.summary.model import (
    Summary,
    SummaryRows,
    build_summary,
    median_from_histogram,
    subtree_of,
)
from handlers.summary.render import (
    fmt_date,
    fmt_decimal,
    fmt_int,
    fmt_percent,
    overdue_line,
    render_summary,
)

__all__ = [
    "PRIVATE",
    "Audience",
    "FlagChecker",
    "Summary",
    "SummaryRows",
    "build_summary",
    "default_checker",
    "fmt_date",
    "fmt_decimal",
    "fmt_int",
    "fmt_percent",
    "group_audience",
    "has_details",
    "load_level_names",
    "load_summary",
    "median_from_histogram",
    "overdue_line",
    "refresh_flag_cache",
    "refresh_flags_in",
    "render_summary",
    "subtree_of",
]
