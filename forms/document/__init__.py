"""The dossier as a booklet-shaped Word file ("LÝ LỊCH CỦA NGƯỜI XIN VÀO ĐẢNG", Mẫu 2-KNĐ).

The document is built in code (the package with python-docx once per process, the body as
WordprocessingML text) rather than from a docxtpl template: the layout then lives in
reviewable files, a change to it shows up as a normal diff, and the
items are walked from the form definition so a new field or item appears without touching
a template. Fixed wording comes from ``templates/document.toml``; labels, table headers and
the pledge come from the form definition.

Layout: the booklet's page map (``FormDef.booklet``, form data): the cover, then each part of
the booklet on its own page, numbered as the booklet numbers it ("Trang 8" the summary with
the 3×4 cm photo box, items (1)–(13); "Trang 9" item (14); …; "Trang 52" item (26)); drafts
and finals paginate alike. A draft carries "BẢN NHÁP" in every page header, a "how to copy"
note on the cover, a note wherever the candidate's text needs more handwritten lines than the
booklet gives, and after the booklet, unnumbered, the checklist of open flags and the
appendix with the dossier facts outside the booklet.

Where what is written: ``word`` (the base document; runs, paragraphs and tables as
WordprocessingML text), ``page`` (the body being written: paragraphs, headings, tables),
``shell`` (the package around the body, made once per process), ``package`` (the zip),
``cover`` (cover, photo box), ``items`` (the walk of the items, fields and tables),
``relatives`` (21), ``signatures`` (23)–(26), ``draft`` (appendix and flag list).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from forms.definition import load_form
from forms.document.cover import Cover
from forms.document.draft import DraftExtras, describe_row
from forms.document.items import Items
from forms.document.page import Page
from forms.document.word import clean_text
from forms.dossier import Dossier
from forms.model import FormDef

__all__ = ["clean_text", "describe_row", "render_dossier"]


def render_dossier(
    dossier: Dossier,
    *,
    draft: bool,
    flags: Sequence[Any] | None = None,
    form: FormDef | None = None,
) -> bytes:
    """The booklet as .docx bytes.

    ``draft`` adds the "BẢN NHÁP" mark, the appendix of dossier facts that are not copied
    into the booklet (certificate, introducers) and the list of open ``flags`` (objects
    with rule, severity, item, row, message, key and explanation attributes; when None in
    draft mode they are computed with :func:`forms.checks.run_checks`).
    """
    form = form or load_form(dossier.form_version)
    if draft and flags is None:
        from forms.checks import run_checks  # the rule engine only when a draft needs it

        flags = run_checks(dossier)
    return _write(dossier, form, draft=draft, flags=flags or ())


def _write(dossier: Dossier, form: FormDef, *, draft: bool, flags: Sequence[Any]) -> bytes:
    page = Page(dossier, form, draft=draft)
    cover = Cover(page)
    cover.write()
    items = Items(page)
    items.booklet(cover.photo_box)
    if draft:
        page.section(None)  # after the booklet, unnumbered
        extras = DraftExtras(page, items)
        extras.appendix()
        extras.flags(flags)
        extras.overflows()
    return page.save()
