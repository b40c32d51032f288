"""The organisation: units, roles, invites, bootstrap codes and group binding, as chat commands
for secretaries (and the CLI's bootstrap).

Commands (Vietnamese, typed in a private chat with the bot unless said otherwise):

* ``/quanly`` — what a secretary can do, and their units.
* ``/donvi`` — list the units one manages; ``/donvi [#cha] Tên`` creates a sub-unit (its kind,
  and so its default review level, is read from the name: "Chi bộ …" reviews at level 1,
  "Đảng bộ …/Đảng ủy …" at level 2).
* ``/capduyet #đơn_vị số_cấp Tên cấp`` | ``/capduyet #đơn_vị khong`` — the review levels of a
  unit tree are data: any number of levels, any names.
* ``/moi duyet|ungvien|bithu [#đơn_vị] [N ngày|N giờ] [N lần]`` — an invite link
  ``https://t.me/<bot>?start=<code>``: a candidate's single use and 7 days by default; a staff
  one single use and 72 hours by default, never more than 72 hours or 10 uses, and announced
  to its issuer when used, with a button that undoes the grant.
* ``/vaitro [#đơn_vị]`` — roles, with a "Thu hồi" button each; ``/thuhoi số|MÃ`` — revoke.
* ``/ketnoi [#đơn_vị]`` — a one-time code; ``/ketnoi MÃ`` typed IN the group binds it (only a
  secretary of that unit can), and the bot announces what it will post there: numbers,
  names, statuses and counts, never content (issue 11).
* ``/lichsu #hồ_sơ`` — a dossier's history (who, when, which revision; never content).

Invite codes reach the bot as ``/start CODE`` (deep link or typed): :meth:`OrgFlow.on_start`
is the hook the candidate flow calls for a /start payload. Every role change, binding and unit
change is appended to audit_log.

Where things are: ``flow`` (routes and dispatch tables), ``units`` (/quanly, /donvi,
/capduyet), ``invites`` (/moi and ``/start CODE``), ``roles`` (/vaitro, /thuhoi), ``groups``
(/ketnoi, the bot added to or removed from a group), ``staff`` (staff's /start, /lichsu),
``bootstrap`` (the first unit, from the command line), ``common`` (what they share, and what
the review flow uses: granting roles, writing to secretaries).
"""

from __future__ import annotations

from handlers.org.bootstrap import Bootstrap, BootstrapRefused, bootstrap, run_bootstrap
from handlers.org.common import grant_role, secretaries_reply
from handlers.org.flow import OrgFlow
from handlers.org.invites import InviteResult, invite_link

__all__ = [
    "Bootstrap",
    "BootstrapRefused",
    "InviteResult",
    "OrgFlow",
    "bootstrap",
    "grant_role",
    "invite_link",
    "run_bootstrap",
    "secretaries_reply",
]
