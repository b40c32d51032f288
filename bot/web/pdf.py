"""A PDF of a .docx where LibreOffice is installed (``soffice --headless --convert-to pdf``),
in a private temporary folder with its own profile; None where it is not."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from collections.abc import Callable
from pathlib import Path

TIMEOUT = 120.0


def soffice() -> str | None:
    return shutil.which("soffice") or shutil.which("libreoffice")


def docx_to_pdf(data: bytes) -> bytes | None:
    """The PDF of ``data`` (a .docx), or None when LibreOffice is missing or fails."""
    program = soffice()
    if program is None:
        return None
    with tempfile.TemporaryDirectory(prefix="knd-pdf-") as folder:
        path = Path(folder) / "hoso.docx"
        path.write_bytes(data)
        profile = (Path(folder) / "profile").as_uri()
        try:
            subprocess.run(
                [program, f"-env:UserInstallation={profile}", "--headless", "--convert-to",
                 "pdf", "--outdir", folder, str(path)],
                check=True, capture_output=True, timeout=TIMEOUT,
            )  # fmt: skip
        except (OSError, subprocess.SubprocessError):
            return None
        pdf = path.with_suffix(".pdf")
        return pdf.read_bytes() if pdf.exists() else None


def pdf_converter() -> Callable[[bytes], bytes | None] | None:
    """:func:`docx_to_pdf` when LibreOffice is installed, else None (no PDF link shown)."""
    return docx_to_pdf if soffice() is not None else None
