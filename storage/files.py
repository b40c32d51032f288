"""The documents folder: the .docx drafts and finals, charts and spreadsheets an adapter keeps
on disk (the console writes every document it receives there; Telegram keeps none).

Why this shape
--------------
* **One subfolder per person** (``<platform>-<user id>``), so that erasing a candidate
  (``storage/erasure.py``) removes every file written for them, whatever its name (a draft is
  named after the candidate, not the dossier). Copies of a dossier that reached someone
  else (a reviewer's draft, the final) carry ``ho-so-<number>-`` in their name and go too.
* **Exports apart** (``xuat/``): a spreadsheet lists many dossiers; an erasure removes every
  stored export rather than open them (/xuat makes a new one in a second).
* **Private whatever the umask:** folders 0700, files 0600 (issue 11, at rest).
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
from pathlib import Path

FOLDER_MODE = 0o700
FILE_MODE = 0o600
EXPORTS = "xuat"
_EXPORT_SUFFIXES = (".xlsx", ".csv")
_UNSAFE = re.compile(r"[^0-9A-Za-z_.-]")
_COPY = re.compile(r"ho-so-(\d+)-")  # a copy of dossier N (a reviewer's draft, a final)


class DocumentFolder:
    """Files written for people, under ``root``; see the module docstring."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def person_folder(self, platform: str, user_id: str) -> Path:
        return self.root / _UNSAFE.sub("_", f"{platform}-{user_id}")

    def save(self, platform: str, user_id: str, filename: str, data: bytes) -> Path:
        """Write ``data`` for the person (an export goes to the exports folder)."""
        name = Path(filename).name
        if name.lower().endswith(_EXPORT_SUFFIXES):
            folder = self.root / EXPORTS
        else:
            folder = self.person_folder(platform, user_id)
        path = folder / name
        _private_folder(folder)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, FILE_MODE)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.chmod(path, FILE_MODE)  # a file written by an older version keeps its mode
        return path

    def erase(
        self,
        dossier_id: int,
        person: tuple[str, str] | None,
        owner: tuple[str, str] | None = None,
    ) -> None:
        """Remove what holds the dossier: its person's folder (of a candidate who stays, as
        staff or with another dossier: every file there but the copies of other dossiers),
        its copies anywhere, every export."""
        if not self.root.is_dir():
            return
        if person is not None:
            shutil.rmtree(self.person_folder(*person), ignore_errors=True)
        elif owner is not None:
            _erase_own(self.person_folder(*owner), dossier_id)
        shutil.rmtree(self.root / EXPORTS, ignore_errors=True)
        for copy in self.root.rglob(f"*ho-so-{dossier_id}-*"):
            with contextlib.suppress(FileNotFoundError):
                copy.unlink()


def _erase_own(folder: Path, dossier_id: int) -> None:
    """The files of a candidate's folder that are not copies of another dossier (their draft
    is named after them, their /dulieu copy is not numbered)."""
    if not folder.is_dir():
        return
    for path in folder.iterdir():
        other = _COPY.search(path.name)
        if path.is_file() and (other is None or int(other.group(1)) == dossier_id):
            with contextlib.suppress(FileNotFoundError):
                path.unlink()


def _private_folder(folder: Path) -> None:
    """Create ``folder`` (and its missing parents) 0700, whatever the umask."""
    missing = [p for p in (folder, *folder.parents) if not p.exists()]
    folder.mkdir(parents=True, exist_ok=True, mode=FOLDER_MODE)
    for created in missing:
        created.chmod(FOLDER_MODE)
