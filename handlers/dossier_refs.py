"""How people name a dossier in a typed command: "12", "#12", "hs 12", "hồ sơ 12", "hồ sơ số
12", "số 12" — typed with or without diacritics, in any case.

One reading for the reviewers' comments and typed decisions (handlers/review/comments.py,
handlers/review/typed.py) and the secretary's steps (handlers/stages.py ``/buoc``,
handlers/secretary/steps.py ``/huybuoc``): "/xem hồ sơ 12" was refused where "/buoc hồ sơ
12" was read. The pattern matches the typed text or its :func:`forms.vn.fold`.
"""

from __future__ import annotations

__all__ = ["DOSSIER_WORDS"]

#: The words before a dossier's number (a regular expression, used with ``re.IGNORECASE``).
DOSSIER_WORDS = r"(?:#\s*|(?:hs|h[ồo]\s*s[ơo])\s*(?:s[ốo]\s*)?#?\s*|s[ốo]\s*)"
