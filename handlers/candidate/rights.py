"""The right to know (/dulieu): everything held about the candidate, sent to them privately.

Three messages: a short text with who viewed the dossier and when, a JSON file (the person
row, the consent record, the dossier's content, its revisions with their times, the comments
returned to them, every recorded view and their own recorded actions) and the draft .docx.
Nothing internal is in it: not the invite code kept in the conversation, not reviewers'
unsent comments. The request itself is recorded (an audit row without content). The messages
are not protected from forwarding (``Reply.protect``): the copy is the candidate's to keep.
"""

from __future__ import annotations

import json
from typing import Any

from admission.clock import local_time
from forms.texts import render
from handlers.candidate.core import Turn, log
from handlers.candidate.flags import open_flags
from handlers.candidate.texts import draft_filename, t
from handlers.events import Document, Reply, WebRef
from handlers.failures import failure_place
from storage.db import Tx
from storage.org import Org
from storage.reviews import Reviews

#: Audit actions that are the candidate's own acts, shown to them.
_OWN_ACTIONS = frozenset(
    {"consent_given", "dossier_opened", "dossier_submitted", "dossier_withdrawn", "data_sent"}
)
_VIEWS_IN_TEXT = 10


async def send_my_data(turn: Turn) -> None:
    """/dulieu."""
    assert turn.person is not None and turn.record is not None
    views = await viewers(turn.tx, turn.record.id, turn.person.id)
    data = await held_about(turn, views)
    payload = json.dumps(data, ensure_ascii=False, indent=2).encode()
    turn.say(render("chat/my_data.j2", views=views[-_VIEWS_IN_TEXT:], hidden=_hidden(views)))
    turn.replies.append(
        Reply(document=Document(t("my_data.filename"), payload, caption=t("my_data.json")))
    )
    draft = _draft(turn)
    if draft is not None:
        turn.replies.append(Reply(document=draft))
    await turn.tx.audit.append(
        "data_sent",
        person_id=turn.person.id,
        dossier_id=turn.record.id,
        detail={"views": len(views)},
    )
    turn.nav.reask()


def _hidden(views: list[dict[str, Any]]) -> int:
    return max(0, len(views) - _VIEWS_IN_TEXT)


def _draft(turn: Turn) -> Document | None:
    try:
        data = turn.wiring.renderer(turn.d, open_flags(turn))
    except Exception as exc:  # the JSON carries everything; the draft is a convenience
        log.error("draft rendering failed: %s", failure_place(exc))
        turn.say(t("view.failed"))
        return None
    web = WebRef("dossier", turn.record.id) if turn.record is not None else None
    return Document(draft_filename(turn.d), data, caption=t("my_data.docx"), web=web)


def _at(stamp: str | None) -> str:
    """A stored time on the users' clock ("14:05 17/03/2026"), "" for none."""
    return local_time(stamp).strftime("%H:%M %d/%m/%Y") if stamp else ""


async def viewers(tx: Tx, dossier_id: int, candidate_id: int) -> list[dict[str, Any]]:
    """Every recorded view of the dossier by someone else, oldest first: when, who, for which
    unit, what was shown (the access gate records them, handlers/access.py)."""
    org = tx.repo(Org)
    names: dict[int | None, str] = {}
    units: dict[int | None, str] = {}
    out = []
    for row in await tx.audit.for_dossier(dossier_id):
        if row["action"] != "view" or row["person_id"] == candidate_id:
            continue
        who, unit_id = row["person_id"], row["unit_id"]
        if who not in names:
            person = await tx.people.get(who) if who is not None else None
            names[who] = person.display_name if person else ""
        if unit_id not in units:
            unit = await org.unit(unit_id) if unit_id is not None else None
            units[unit_id] = unit.name if unit else ""
        out.append(
            {
                "luc": _at(row["at"]),
                "nguoi_xem": names[who] or t("my_data.someone"),
                "don_vi": units[unit_id],
                "xem": row["detail"].get("what", ""),
            }
        )
    return out


async def held_about(turn: Turn, views: list[dict[str, Any]]) -> dict[str, Any]:
    """The JSON sent: everything stored about the person, in their words where it can be."""
    tx, person, record = turn.tx, turn.person, turn.record
    assert person is not None and record is not None
    unit = await tx.repo(Org).unit(record.unit_id) if record.unit_id is not None else None
    own = [
        {"luc": _at(r["at"]), "viec": r["action"], **_public(r["detail"])}
        for r in await tx.audit.by_person(person.id, tuple(_OWN_ACTIONS))
    ]
    revisions = [
        {
            "ban": r.revision,
            "muc": r.path,
            "cu": r.old,
            "moi": r.new,
            "luc": _at(r.created_at),
            "boi_anh_chi": r.person_id == person.id,
        }
        for r in await tx.dossiers.revisions(record.id)
    ]
    comments = [
        {
            "muc": c.item_number,
            "noi_dung": c.text,
            "trang_thai": c.status,
            "gui_luc": _at(c.sent_at),
        }
        for c in await tx.repo(Reviews).comments(record.id, ("sent", "resolved"))
    ]
    return {
        "lay_luc": _at(tx.now),
        "nguoi": {
            "nen_tang": person.platform,
            "ma_tren_nen_tang": person.platform_user_id,
            "ten_hien_thi": person.display_name,
            "tao_luc": _at(person.created_at),
        },
        "dong_y": {"luc": _at(person.consent_at), "phien_ban": person.consent_version},
        "ho_so": {
            "so": record.id,
            "trang_thai": record.status,
            "chi_bo": unit.name if unit else "",
            "mo_luc": _at(record.opened_at),
            "nop_luc": _at(record.submitted_at),
            "duyet_luc": _at(record.approved_at),
            "ban": record.revision,
            "noi_dung": record.dossier.to_dict(),
        },
        "lich_su_sua": revisions,
        "nhan_xet_gui_anh_chi": comments,
        "luot_xem": views,
        "viec_anh_chi_da_lam": own,
    }


def _public(detail: dict[str, Any]) -> dict[str, Any]:
    """The parts of an audit row's detail the candidate is told (the consent's version)."""
    return {"phien_ban": detail["version"]} if "version" in detail else {}
