"""The dossier's life after approval, targets, reminders sent, and the summary's queries.

Why this shape
--------------
* ``stage_events`` (001) is the record of what secretaries and reviewers entered: one row per
  step with its date. It is the source of truth. ``dossier_progress`` and ``verifications``
  (005) are *derived* from it and from the dossier's own columns, and are written in the same
  transaction as the change that causes them: by :class:`storage.progress.Progress` when a
  dossier's content, status or unit changes, and by :meth:`StageRecords.write_progress` when
  a step is recorded or undone (the state it stores is folded by
  :func:`admission.stages.fold_events`). The summary therefore reads one narrow integer row
  per dossier and never parses dossier JSON.
* Dates in the derived tables are day numbers (days since 1970-01-01, local date), so "how
  many days in this stage" is a subtraction and "overdue" is ``day < cut-off``: the working
  day arithmetic is done once per summary in Python (:func:`admission.deadlines.cutoffs`),
  not per dossier.
* Aggregation happens in SQL (GROUP BY); Python receives hundreds of rows, not 100 000.

One repository per concern: :class:`StageRecords` (steps and derived progress),
:class:`Targets` (the year's and the term's targets), :class:`UnitRows` (units and their
digest hour),
:class:`SummaryQueries` (the aggregates), :class:`FlagCache` (flags per revision),
:class:`Notifications` (idle drafts, what was sent).
"""

from storage.stages.flags import FlagCache
from storage.stages.notifications import Notifications
from storage.stages.records import StageRecords
from storage.stages.rows import (
    IdleCandidate,
    OverdueItem,
    ProgressRow,
    StageEventRow,
    TargetRow,
    TermTargetRow,
    UnitRow,
)
from storage.stages.sql import WIDE_SCOPE
from storage.stages.summary import DURATIONS, SummaryQueries
from storage.stages.targets import Targets
from storage.stages.units import UnitRows

__all__ = [
    "DURATIONS",
    "WIDE_SCOPE",
    "FlagCache",
    "IdleCandidate",
    "Notifications",
    "OverdueItem",
    "ProgressRow",
    "StageEventRow",
    "StageRecords",
    "SummaryQueries",
    "TargetRow",
    "Targets",
    "TermTargetRow",
    "UnitRow",
    "UnitRows",
]
