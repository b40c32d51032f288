"""The secretaries' flow: /tinhhinh, /chitieu, /xuat, /giobaocao, recording steps with /buoc
and buttons, and the scheduler of daily digests and candidates' reminders.

Who may do what (roles are read through :mod:`storage.reviews` / :mod:`handlers.access`):

* /tinhhinh, /xuat, /buoc, /huybuoc — secretaries and reviewers of the unit or of a unit
  above it (:mod:`.scope`: in a group chat only the group's unit and the units below it).
* /chitieu, /giobaocao — secretaries of the unit or above (:mod:`.targets`).
* Everyone else (candidates, outsiders) gets a refusal that reveals nothing.

Where each part lives: :mod:`.flow` (routes and dispatch tables), :mod:`.actions` (the
``sec:`` button codecs), :mod:`.summary_command` (/tinhhinh), :mod:`.export` (/xuat),
:mod:`.targets` (/chitieu, /giobaocao), :mod:`.steps`, :mod:`.card` and :mod:`.pipeline`
(/buoc, /huybuoc and the card's buttons), :mod:`.notifier` (digests and reminders).
"""

from handlers.secretary.flow import COMMANDS, SecretaryFlow
from handlers.secretary.notifier import Notifier, is_quiet, run_periodic, start_scheduler

__all__ = ["COMMANDS", "Notifier", "SecretaryFlow", "is_quiet", "run_periodic", "start_scheduler"]
