"""The read pages and downloads of the web companion, platform-neutral: a grant (a verified
link or session) in, HTML or a file out, every content read through the access gate
(:mod:`handlers.web.grants`) and recorded as a view in the caller's transaction.

* the candidate's dossier (``dossier``/``form`` grants): answers by part, flags with how to fix
  each, the comments returned to them;
* a reviewer's view (``review``): the revision they may read, flags with the explanations,
  comments, what changed since their unit's last look — the same facts as «Xem» in the chat;
* a secretary's summary (``summary``): the summary text of /tinhhinh and its chart;
* downloads: the draft .docx (a PDF when a converter is wired in), the .xlsx of /xuat.
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, TypeVar, cast

from admission import lifecycle
from forms import checks as fchecks
from forms.checks import Flag
from forms.memo import forget_with_typed_text
from forms.model import FormDef
from forms.texts import message
from handlers.candidate.core import Notice
from handlers.charts import summary_chart
from handlers.render_jobs import DossierJob, render_dossier_job
from handlers.rendering import DocumentRenderer
from handlers.review.cards import changes_since_last_look, comment_view
from handlers.review.context import ReviewSetup
from handlers.review.facts import item_label, item_ref, summarize
from handlers.secretary.details import record_views
from handlers.secretary.flow import SecretaryFlow
from handlers.summary import PRIVATE, has_details, render_summary
from handlers.web.form import Reading, WebForm, explanation_inputs
from handlers.web.grants import AccessDenied, Opened, open_grant, open_unit
from handlers.web.html import html
from handlers.web.invites import consent_texts, open_invite
from handlers.web.links import Grant
from storage.core import DossierRecord
from storage.db import Tx
from storage.org import Org

__all__ = ["AccessDenied", "Download", "WebPages"]

T = TypeVar("T")

#: .docx -> .pdf bytes, or None when no converter is installed (bot/web/pdf.py).
PdfConverter = Callable[[bytes], bytes | None]
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
#: the posted field of «Xóa và lưu»: the revision the loss was shown at
CONFIRMED = "xacnhan"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class RevisionCache:
    """What a page computes from one revision of one dossier (its checks, its answers by
    part), kept for the next page of that revision: a revision never changes, a new one is
    a new key, so nothing is ever invalidated (issue 13: the checks were three quarters of
    a read page). Bounded; the least recently used goes first."""

    def __init__(self, size: int = 512) -> None:
        self.size = size
        self._values: OrderedDict[tuple[Any, ...], Any] = OrderedDict()
        forget_with_typed_text(self)  # an erasure empties it (forms.memo)

    def clear(self) -> None:
        self._values.clear()

    def get(self, key: tuple[Any, ...], make: Callable[[], T]) -> T:
        if key in self._values:
            self._values.move_to_end(key)
            return cast(T, self._values[key])
        value = make()
        self._values[key] = value
        if len(self._values) > self.size:
            self._values.popitem(last=False)
        return value


@dataclass(frozen=True, slots=True)
class Download:
    filename: str
    content_type: str
    data: bytes


class WebPages:
    """What the web serves for a grant; built by the composition root with the review set-up
    (checks, renderer, today) and the secretary flow (summary, spreadsheet)."""

    def __init__(
        self,
        review: ReviewSetup,
        secretary: SecretaryFlow,
        *,
        pdf: PdfConverter | None = None,
        notice: Notice | None = None,
        renderer: DocumentRenderer | None = None,
    ) -> None:
        self.review = review
        self.secretary = secretary
        #: the flows' renderer (its process pool in a running bot): a page's .docx or chart
        #: costs the bot's event loop nothing, as in the chat
        self.renderer = renderer or secretary.settings.renderer
        self.cache = RevisionCache()
        self.form: FormDef = review.form
        self.web_form = WebForm(self.form)
        self.pdf = pdf
        self.notice = notice or Notice()

    # -- pages ------------------------------------------------------------------------------
    async def page(self, tx: Tx, grant: Grant) -> str:
        """The page a grant opens (or :class:`AccessDenied`), its view recorded."""
        kind = grant.obj.kind
        if kind == "summary":
            return await self.summary_page(tx, grant)
        if kind == "review":
            return await self.review_page(tx, await open_grant(tx, grant, what="web_review"))
        opened = await open_grant(tx, grant, what="web_dossier")
        return await self.dossier_page(tx, opened.record)

    def flags_of(self, record: DossierRecord, today: date) -> list[Flag]:
        """The checks of the whole dossier at this revision (computed once per day)."""
        key = ("flags", record.id, record.revision, today)
        run = fchecks.run_checks
        return list(self.cache.get(key, lambda: tuple(run(record.dossier, today=today))))

    def review_flags(self, record: DossierRecord, today: date) -> list[Flag]:
        """The reviewer's checks of the revision they read (computed once per day)."""
        key = ("review", record.id, record.revision, today)
        checks = self.review.checks
        return list(self.cache.get(key, lambda: tuple(checks(record.dossier, today=today))))

    def part_of(self, number: int) -> int | None:
        for i, section in enumerate(self.form.all_sections()):
            if any(it.number == number for it in section.items):
                return i
        return None

    def flag_views(
        self, flags: list[Flag], *, editable: bool, reviewer: bool = False
    ) -> list[dict[str, Any]]:
        """The flags as the pages show them: the candidate's with how to fix each (where,
        a link to the part), the reviewer's with a link to the item on the same page (how
        the candidate fixes it is no business of theirs)."""
        sections = self.form.all_sections()
        out = []
        for f in flags:
            part = self.part_of(f.item)
            title = sections[part].title if part is not None and not reviewer else ""
            key = "error" if f.is_error else "warning"
            if not editable:
                key = "error_closed" if f.is_error else ""
            out.append(
                {
                    "ref": item_ref(f.item) if f.item < 90 else "",
                    "error": f.is_error,
                    "message": f.message,
                    "explanation": f.explanation or "",
                    "fix": message(f"web.fix.{key}", part=title) if key and title else "",
                    "href": f"/w/phan/{part}#muc-{f.item}" if editable and part is not None else "",
                    "anchor": f"#muc-{f.item}" if reviewer and part is not None else "",
                }
            )
        return out

    def parts(self, record: DossierRecord) -> list[dict[str, Any]]:
        """The answers by part of the form, every candidate item listed (answered or not);
        once per revision (the templates only read them)."""
        key = ("parts", record.id, record.revision)
        return self.cache.get(key, lambda: self._parts(record))

    def _parts(self, record: DossierRecord) -> list[dict[str, Any]]:
        answered = {it["ref"]: it["lines"] for it in summarize(record.dossier, self.form)}
        return [
            {
                "title": section.title,
                "items": [
                    {
                        "number": it.number,
                        "ref": it.ref if it.numbered else "",
                        "label": it.label,
                        "lines": answered.get(item_ref(it.number), []),
                    }
                    for it in section.items
                    if not it.reviewer_only
                ],
            }
            for section in self.form.all_sections()
            if any(not it.reviewer_only for it in section.items)
        ]

    async def dossier_page(self, tx: Tx, record: DossierRecord) -> str:
        today = self.review.today_at(tx)
        editable = lifecycle.editable_by_candidate(record.status)
        comments = [c for c in await comment_view(self.review, tx, record) if c["status"] == "sent"]
        return html(
            "dossier.j2",
            name=record.dossier.value("ho_ten") or message("web.no_name"),
            status_text=message(f"chat.status.{record.status}"),
            revision=record.revision,
            editable=editable,
            pdf=self.pdf is not None,
            comments=comments,
            flags=self.flag_views(self.flags_of(record, today), editable=editable),
            parts=self.parts(record),
        )

    async def review_page(self, tx: Tx, opened: Opened) -> str:
        record = opened.record
        unit = await tx.repo(Org).unit(opened.unit_id) if opened.unit_id else None
        changes = await changes_since_last_look(self.review, tx, record, unit) if unit else None
        flags = self.review_flags(record, self.review.today_at(tx))
        # what the reviewer does next: the page reads, the decisions are the group's card
        waits = unit is not None and lifecycle.waits_at(
            record.status, record.review_level, unit.review_level
        )
        return html(
            "review.j2",
            dossier=record.id,
            name=record.dossier.value("ho_ten") or "",
            revision=record.revision,
            status=record.status,
            acting_unit=unit.name if waits and unit is not None else "",
            pdf=self.pdf is not None,
            changes=changes,
            labels={n: item_label(self.form, n) for n in (changes.items if changes else {})},
            flags=self.flag_views(flags, editable=False, reviewer=True),
            comments=await comment_view(self.review, tx, record),
            parts=self.parts(record),
        )

    async def summary_page(self, tx: Tx, grant: Grant) -> str:
        unit_id = await open_unit(tx, grant)
        today = self.review.today_at(tx)
        summary = await self.secretary.summary.summary(tx, unit_id, today)
        if summary is None:
            raise AccessDenied()
        items = (*summary.overdue_items, *summary.under_age_items)
        shown = [i.dossier_id for i in items if has_details(i)]
        await record_views(tx, grant.person_id, shown, what="web_summary")
        return html(
            "summary.j2",
            unit=summary.unit_name,
            text=render_summary(summary, PRIVATE),
            chart=self.secretary.settings.chart,
        )

    # -- the form ---------------------------------------------------------------------------
    async def form_page(
        self,
        tx: Tx,
        grant: Grant,
        part: int,
        *,
        csrf: str,
        reading: Reading | None = None,
        saved: bool = False,
    ) -> str:
        """Part ``part`` of the form for the candidate to fill in (or :class:`AccessDenied`;
        :class:`IndexError` for no such part)."""
        if not 0 <= part < len(self.web_form.sections):
            raise IndexError(part)
        if grant.obj.kind != "form":
            raise AccessDenied()
        record = (await open_grant(tx, grant, what="web_form")).record
        flags = self.web_form.flags(self.flags_of(record, self.review.today_at(tx)), part)
        return html(
            "form.j2",
            parts=[s.title for s in self.web_form.sections],
            part=part,
            title=self.web_form.sections[part].title,
            csrf=csrf,
            saved=saved and not (reading and reading.errors),
            errors=len(reading.errors) if reading else 0,
            flags=self.flag_views(flags, editable=True),
            explain=explanation_inputs(flags, reading.typed if reading else None),
            explain_labels={f.key: f.message[:80] for f in flags},
            items=self.web_form.view(record, part, reading, flags),
        )

    async def save_part(
        self, tx: Tx, grant: Grant, part: int, posted: Mapping[str, str]
    ) -> Reading:
        """Store what parses of a posted part as revisions of the candidate's dossier, as a
        chat answer is stored; the rest comes back in the reading, as typed."""
        if not 0 <= part < len(self.web_form.sections):
            raise IndexError(part)
        if grant.obj.kind != "form":
            raise AccessDenied()
        record = (await open_grant(tx, grant, what="web_form")).record
        reading = self.web_form.read(record, part, posted, self.review.today_at(tx))
        if reading.lost and posted.get(CONFIRMED) != str(record.revision):
            reading.held_at = record.revision  # shown and asked first (confirm_page)
            return reading
        if reading.changes:
            await tx.dossiers.apply(record, reading.changes, grant.person_id)
        return reading

    def confirm_page(self, part: int, posted: Mapping[str, str], reading: Reading) -> str:
        """What a held save would erase, and «Xóa và lưu» posting the same values again with
        the revision it was shown at (a dossier changed meanwhile asks again)."""
        return html(
            "confirm.j2",
            part=part,
            title=self.web_form.sections[part].title,
            lost=reading.lost,
            posted=[(k, v) for k, v in posted.items() if k != CONFIRMED],
            revision=reading.held_at,
        )

    # -- a candidate invited to the web ---------------------------------------------------------
    async def invite_page(
        self, tx: Tx, code: str, *, csrf: str, name: str = "", error: str = ""
    ) -> str | None:
        """The consent for a candidate invite (None: no usable invite of that code)."""
        invite = await open_invite(tx, code)
        if invite is None:
            return None
        unit = await tx.repo(Org).unit(invite.unit_id)
        return html(
            "consent.j2",
            unit=unit.name if unit else "",
            consent=consent_texts(self.notice),
            code=invite.token,
            csrf=csrf,
            name=name,
            error=error,
        )

    # -- downloads --------------------------------------------------------------------------
    async def download(self, tx: Tx, grant: Grant, what: str) -> Download | None:
        """The file ``what`` (docx, pdf, xlsx, chart.png) for the grant, recorded; None when
        this grant has no such file (or no converter for a PDF)."""
        if grant.obj.kind == "summary":
            return await self._unit_file(tx, grant, what)
        if what not in ("docx", "pdf") or (what == "pdf" and self.pdf is None):
            return None
        kind = "review" if grant.obj.kind == "review" else "dossier"
        opened = await open_grant(tx, grant, what=f"web_{kind}_{what}")
        record = opened.record
        today = self.review.today_at(tx)  # the notes in the draft speak to whoever reads it
        flags = (
            self.review_flags(record, today) if kind == "review" else self.flags_of(record, today)
        )
        job = DossierJob(record.dossier, draft=True, flags=tuple(flags))
        data = await self.renderer.run(render_dossier_job, job)
        name = f"2KND-ho-so-{record.id}-ban-{record.revision}-nhap"
        if what == "docx":
            return Download(f"{name}.docx", DOCX, data)
        assert self.pdf is not None
        # LibreOffice is a process of its own: waited for in a thread, not a render worker
        pdf = await asyncio.to_thread(self.pdf, data)
        return Download(f"{name}.pdf", "application/pdf", pdf) if pdf else None

    async def _unit_file(self, tx: Tx, grant: Grant, what: str) -> Download | None:
        unit_id = await open_unit(tx, grant)
        today = self.review.today_at(tx)
        if what == "xlsx":
            async with tx.db.read(datetime.fromisoformat(tx.now)) as r:
                doc = await self.secretary.export.workbook(r, unit_id, today)
            await tx.audit.append(
                "view", person_id=grant.person_id, unit_id=unit_id, detail={"what": "web_xlsx"}
            )
            return Download(doc.filename, XLSX, doc.data)
        if what == "chart.png" and self.secretary.settings.chart:
            summary = await self.secretary.summary.summary(tx, unit_id, today)
            if summary is None:
                return None
            png = await self.renderer.run(summary_chart, summary)
            return Download("bieu-do.png", "image/png", png)
        return None
