"""A unit tree with a dossier at every stage and known dates, for the secretaries' tests.

Everything is written through the real repositories (people, dossiers, the review storage's
submit/return/approve, the stage recorder), at fixed moments, so the derived progress rows
come from the same code paths as in production.

TODAY is Wednesday 23/09/2026; the year's target is 150 before 31/10 (38 days left).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

from forms.dossier import Dossier
from handlers.stages import record_step
from storage.db import Database
from storage.reviews import Org, Reviews, Unit
from storage.stages import Targets

TODAY = date(2026, 9, 23)


def at(day: date, hour: int = 10) -> datetime:
    """``hour`` o'clock local time (UTC+7) on ``day``, as an aware UTC datetime."""
    return datetime.combine(day, time(hour)).replace(tzinfo=UTC) - timedelta(hours=7)


def d(text: str) -> date:
    """ "15/06/2026" → date."""
    dd, mm, yyyy = text.split("/")
    return date(int(yyyy), int(mm), int(dd))


@dataclass
class World:
    db: Database
    root: Unit
    alpha: Unit  # Đảng bộ Công ty Alpha (level 2)
    a1: Unit  # Chi bộ Kỹ thuật (level 1) under alpha
    a2: Unit  # Chi bộ Kinh doanh (level 1) under alpha
    beta: Unit  # Chi bộ cơ sở Beta (level 1) under root
    secretary: int  # person ids
    reviewer_a1: int
    reviewer_alpha: int
    outsider: int
    dossiers: dict[str, int] = field(default_factory=dict)  # label → dossier id
    candidates: dict[str, int] = field(default_factory=dict)  # label → person id


async def _person(db: Database, uid: str, name: str, when: datetime) -> int:
    async with db.transaction(when) as tx:
        return (await tx.people.get_or_create("tg", uid, name, consent=True)).id


async def new_dossier(
    w: World,
    label: str,
    unit: Unit,
    opened: date,
    *,
    name: str,
    certificate: str = "",
    updated: date | None = None,
    relatives: list[dict[str, str]] | None = None,
    birth: str = "",
) -> int:
    """A draft opened on ``opened`` (and last touched on ``updated``), with these item (21)
    blocks."""
    pid = await _person(w.db, f"cand-{label}", name, at(opened))
    answers = {"ho_ten": name}
    if certificate:
        answers["ngay_chung_nhan_ntvd"] = certificate
    if birth:
        answers["ngay_sinh"] = birth
    dossier = Dossier(answers=answers, relatives=relatives or [])
    async with w.db.transaction(at(updated or opened)) as tx:
        rec = await tx.dossiers.create(
            pid, dossier, unit_id=unit.id, opened_at=at(opened).isoformat()
        )
        await tx.repo(Org).grant(unit.id, pid, "candidate", None)
    w.dossiers[label] = rec.id
    w.candidates[label] = pid
    return rec.id


async def submit(w: World, dossier_id: int, day: date) -> None:
    async with w.db.transaction(at(day)) as tx:
        rec = await tx.dossiers.get(dossier_id)
        assert rec is not None
        rec = await tx.dossiers.set_status(rec, "submitted")
        await tx.repo(Reviews).start_review(rec)


async def decide(w: World, dossier_id: int, day: date, *, kind: str = "approve") -> str:
    """The level now reviewing approves (or returns, with one comment)."""
    async with w.db.transaction(at(day, 11)) as tx:
        rec = await tx.dossiers.get(dossier_id)
        assert rec is not None and rec.unit_id is not None
        chain = await tx.repo(Org).review_chain(rec.unit_id)
        unit = next(u for u in chain if u.review_level == rec.review_level)
        reviews = tx.repo(Reviews)
        if kind == "return":
            await reviews.add_comment(rec.id, rec.revision, unit.id, 15, w.secretary, "Bổ sung")
            outcome = await reviews.return_(rec.id, rec.revision, unit.id, w.secretary)
        else:
            outcome = await reviews.approve(rec.id, rec.revision, unit.id, w.secretary)
        return outcome.kind


async def approve_fully(w: World, dossier_id: int, submitted: date, approved: date) -> None:
    """Submit on ``submitted`` and approve at every level on ``approved``."""
    await submit(w, dossier_id, submitted)
    while await decide(w, dossier_id, approved) == "forwarded":
        pass


async def steps(w: World, dossier_id: int, *entries: tuple) -> None:
    """Record steps: ("chi_bo", "15/06/2026") or ("tham_tra_gui", "10/06/2026", "cha", True)."""
    for entry in entries:
        step, day = entry[0], d(entry[1])
        person = entry[2] if len(entry) > 2 else ""
        abroad = bool(entry[3]) if len(entry) > 3 else False
        async with w.db.transaction(at(day, 15)) as tx:
            await record_step(
                tx, dossier_id, step, day, today=day, person=person, abroad=abroad,
                recorded_by=w.secretary,
            )  # fmt: skip


# The main line of steps after approval, in order (verifications come after the first).
CHAIN = ("ban_viet_tay", "chi_bo", "dang_uy", "quyet_dinh", "ket_nap", "chinh_thuc")


async def approved(
    w: World,
    label: str,
    unit: Unit,
    name: str,
    review: str,
    chain: str = "",
    *,
    verifications: Sequence[tuple] = (),
    birth: str = "",
) -> int:
    """A dossier opened, submitted and approved at every level on the three ``review`` days
    ("01/02/2026 01/04/2026 15/04/2026"), then the first steps of :data:`CHAIN` on the
    ``chain`` days, with ``verifications`` (entries as for :func:`steps`) recorded after the
    handwritten copy."""
    opened, submitted, approved_on = review.split()
    dossier_id = await new_dossier(w, label, unit, d(opened), name=name, birth=birth)
    await approve_fully(w, dossier_id, d(submitted), d(approved_on))
    entries = list(zip(CHAIN, chain.split(), strict=False))
    await steps(w, dossier_id, *entries[:1], *verifications, *entries[1:])
    return dossier_id


async def build_world(path: Path) -> World:
    db = await Database.open(path / "secretary.sqlite3")
    start = at(date(2024, 1, 2))
    async with db.transaction(start) as tx:
        org = tx.repo(Org)
        root = await org.create_unit("Đảng bộ Khối Doanh nghiệp", "cap_tren")
        alpha = await org.create_unit("Đảng bộ Công ty Alpha", "dang_bo_co_so", root.id)
        a1 = await org.create_unit("Chi bộ Kỹ thuật", "chi_bo", alpha.id)
        a2 = await org.create_unit("Chi bộ Kinh doanh", "chi_bo", alpha.id)
        beta = await org.create_unit("Chi bộ cơ sở Beta", "chi_bo_co_so", root.id)
    sec = await _person(db, "sec", "Bí thư", start)
    rev_a1 = await _person(db, "rev-a1", "Duyệt A1", start)
    rev_alpha = await _person(db, "rev-alpha", "Duyệt Alpha", start)
    outsider = await _person(db, "outsider", "Người ngoài", start)
    async with db.transaction(start) as tx:
        org = tx.repo(Org)
        await org.grant(root.id, sec, "secretary", None)
        await org.grant(a1.id, rev_a1, "reviewer", None)
        await org.grant(alpha.id, rev_alpha, "reviewer", None)
        stages = tx.repo(Targets)
        await stages.set_target(root.id, 2026, 150, "2026-10-31", sec)
        await stages.set_target(alpha.id, 2026, 20, "2026-10-31", sec)
        await stages.set_term_target(root.id, 2025, 2030, 750, sec)
    w = World(db, root, alpha, a1, a2, beta, sec, rev_a1, rev_alpha, outsider)

    # Drafts: D1 idle since 01/09 (with an old certificate: drafts are not counted for it);
    # D2 touched on 10/09, which becomes 14 days idle on 24/09.
    await new_dossier(w, "D1", a1, d("01/09/2026"), name="LÊ VĂN MỘT", certificate="10/01/2020")
    await new_dossier(w, "D2", a2, d("10/09/2026"), name="TRẦN THỊ HAI")
    # D3 submitted, at the chi bộ; D4 approved by the chi bộ, now at the đảng ủy.
    await new_dossier(w, "D3", a1, d("01/08/2026"), name="PHẠM VĂN BA")
    await submit(w, w.dossiers["D3"], d("10/09/2026"))
    await new_dossier(w, "D4", a1, d("01/08/2026"), name="HOÀNG THỊ BỐN")
    await submit(w, w.dossiers["D4"], d("10/09/2026"))
    await decide(w, w.dossiers["D4"], d("12/09/2026"))
    # D5 returned once by Beta, being fixed.
    await new_dossier(w, "D5", beta, d("01/07/2026"), name="VŨ VĂN NĂM")
    await submit(w, w.dossiers["D5"], d("01/09/2026"))
    await decide(w, w.dossiers["D5"], d("05/09/2026"), kind="return")
    # D6 approved first time on 15/09; certificate older than 60 months.
    await new_dossier(w, "D6", a1, d("01/06/2026"), name="ĐỖ THỊ SÁU", certificate="10/01/2021")
    await approve_fully(w, w.dossiers["D6"], d("01/09/2026"), d("15/09/2026"))
    # D7 returned twice, approved 03/08, handwritten copy 10/08.
    await new_dossier(w, "D7", a2, d("01/05/2026"), name="NGÔ VĂN BẢY")
    await submit(w, w.dossiers["D7"], d("01/07/2026"))
    await decide(w, w.dossiers["D7"], d("03/07/2026"), kind="return")
    await submit(w, w.dossiers["D7"], d("10/07/2026"))
    await decide(w, w.dossiers["D7"], d("13/07/2026"))  # chi bộ approves, forwarded
    await decide(w, w.dossiers["D7"], d("15/07/2026"), kind="return")  # đảng ủy returns
    await submit(w, w.dossiers["D7"], d("20/07/2026"))
    await decide(w, w.dossiers["D7"], d("03/08/2026"))
    await steps(w, w.dossiers["D7"], ("ban_viet_tay", "10/08/2026"))
    # Approved dossiers: the days opened, submitted and approved (at every level), then the
    # days of the main line of steps (handwritten copy, chi bộ, đảng ủy, decision, ceremony,
    # official member), verifications recorded after the handwritten copy.
    # D8 verifying: father (domestic, 10/06: overdue), mother (01/09), spouse abroad (10/06).
    await approved(
        w, "D8", a1, "ĐINH VĂN TÁM", "02/03/2026 15/05/2026 01/06/2026", "05/06/2026",
        verifications=[("tham_tra_gui", "10/06/2026", "cha"),
                       ("tham_tra_gui", "10/06/2026", "vo_chong", True),
                       ("tham_tra_gui", "01/09/2026", "me")],
    )  # fmt: skip
    # D9 verified, waiting for the chi bộ; opened 01/08/2025: older than 12 months.
    await approved(
        w, "D9", beta, "BÙI THỊ CHÍN", "01/08/2025 20/04/2026 04/05/2026", "06/05/2026",
        verifications=[("tham_tra_gui", "08/05/2026", "cha"), ("tham_tra_ve", "29/05/2026", "cha")],
    )  # fmt: skip
    for label, unit, name, review, chain in (
        # D10 chi bộ voted 15/06: the decision is late (45 working days).
        ("D10", a1, "LÝ VĂN MƯỜI", "01/02/2026 01/04/2026 15/04/2026", "20/04/2026 15/06/2026"),
        # D11 đảng ủy voted 10/09.
        ("D11", a2, "MAI THỊ MƯỜI MỘT", "01/03/2026 01/06/2026 15/06/2026",
         "20/06/2026 01/09/2026 10/09/2026"),
        # D12 decision 01/07/2026: the ceremony is late (30 working days). Admitted in 2026.
        ("D12", beta, "TÔ VĂN MƯỜI HAI", "05/01/2026 01/03/2026 10/03/2026",
         "15/03/2026 01/06/2026 15/06/2026 01/07/2026"),
        # D13 admitted 02/03/2026, ceremony 20/03/2026: on probation.
        ("D13", a1, "HÀ THỊ MƯỜI BA", "01/09/2025 01/11/2025 10/11/2025",
         "15/11/2025 15/01/2026 01/02/2026 02/03/2026 20/03/2026"),
        # D14 ceremony 10/10/2025: probation ends 10/10/2026, within 30 days.
        ("D14", a2, "TẠ VĂN MƯỜI BỐN", "01/01/2025 01/03/2025 10/03/2025",
         "15/03/2025 01/08/2025 15/08/2025 01/10/2025 10/10/2025"),
        # D15 official member since 15/05/2026.
        ("D15", beta, "LA THỊ MƯỜI LĂM", "01/06/2024 01/09/2024 10/09/2024",
         "15/09/2024 01/03/2025 15/03/2025 20/04/2025 01/05/2025 15/05/2026"),
        # D16 ceremony 01/07/2025: probation over, not yet recognised (30 working days passed).
        ("D16", a1, "KIỀU VĂN MƯỜI SÁU", "01/10/2024 01/12/2024 10/12/2024",
         "15/12/2024 01/04/2025 15/04/2025 20/06/2025 01/07/2025"),
    ):  # fmt: skip
        await approved(w, label, unit, name, review, chain)
    # D17 deleted by its candidate: counted nowhere.
    await new_dossier(w, "D17", a1, d("01/01/2026"), name="XÓA BỎ", certificate="01/01/2015")
    async with db.transaction(at(d("02/01/2026"))) as tx:
        rec = await tx.dossiers.get(w.dossiers["D17"])
        assert rec is not None
        await tx.dossiers.erase(rec)
    return w
