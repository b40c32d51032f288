"""What a group chat must never show (issue 11): a dossier's field values.

A group sees a dossier's number, the candidate's name, the unit, the status, counts and who
acted. :func:`field_values` lists everything else a candidate typed that could be recognised
in a chat's text; :func:`leaked` finds those values in what a group was shown.
"""

from __future__ import annotations

import io
from collections.abc import Iterable

from forms.dossier import Dossier
from forms.vn import fold

#: The candidate's name: the one value a group may see (on the card, with the number).
NAME_FIELDS = ("ho_ten", "ky_ten")
#: Answers too common to tell anything about a dossier when they appear in a chat.
_COMMON = {"khong", "nam", "nu", "nay", "khong ro"}


def field_values(dossier: Dossier) -> set[str]:
    """Every value of the dossier but the candidate's name: answers, table cells, relatives'
    details, explanations (values of fewer than four characters, and the common yes/no
    answers, tell nothing on their own and would match any text)."""
    values = [v for k, v in dossier.answers.items() if k not in NAME_FIELDS]
    values += [v for rows in dossier.tables.values() for row in rows for v in row.values()]
    values += [v for row in dossier.relatives for k, v in row.items() if k != "quan_he"]
    values += list(dossier.explanations.values())
    return {v for v in map(str, values) if len(v) >= 4 and fold(v) not in _COMMON}


def leaked(texts: Iterable[str], dossier: Dossier) -> list[tuple[str, str]]:
    """(value, text) for each field value of ``dossier`` found in ``texts``."""
    values = field_values(dossier)
    return [(v, text) for text in texts for v in values if v in text]


def document_text(data: bytes) -> str:
    """The text of a .docx (paragraphs and table cells), to look for values in it too."""
    import docx

    document = docx.Document(io.BytesIO(data))
    cells = [c.text for t in document.tables for row in t.rows for c in row.cells]
    return "\n".join([p.text for p in document.paragraphs] + cells)
