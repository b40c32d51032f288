"""The .docx package around the booklet: the base document opened once per process, and
the zip written with its unchanged members compressed once per process.

python-docx opened the base document from its zip for every rendering (unzip, parse each
part, build the package: ≈ 2 ms) and saved by serialising and deflating all eighteen parts
again (≈ 4.5 ms), though only the body and the core properties change between two drafts
(issue 17). The package is now made once per process (:mod:`forms.document.shell`, from a
copy of the template, :func:`open_copy`) and each rendering's members are zipped by
:func:`write_zip` through :class:`_ZipWriter`, which keeps the deflated bytes of every member
it has seen with the same content (the styles, theme, settings, numbering, fonts,
relationships, headers and footers: the same for every dossier).
"""

from __future__ import annotations

import copy
import io
import struct
import time
import zlib
from collections import OrderedDict
from functools import cache

from docx import Document
from docx.document import Document as DocxDocument

#: zlib's level for the members not seen before (the body): 6, the default of zipfile and of
#: python-docx, costs the 80 KB body about twice the time of 1 for a file 25 % smaller.
BODY_LEVEL = 1
#: Members kept deflated by content, at most, the least recently used dropped first: the
#: template's parts and a few variants...
KEPT = 64
#: ... none larger than this (a body: deflated once, never met again)...
KEPT_SIZE = 16 * 1024
#: ... and never these: the body and the core properties hold the candidate's name and are
#: new at every rendering (the time), so kept they would only keep personal data in memory.
NEVER_KEPT = frozenset({"word/document.xml", "docProps/core.xml"})


@cache
def _template(base: bytes) -> DocxDocument:
    """The base document, opened once per process; never written to, only copied."""
    return Document(io.BytesIO(base))


def open_copy(base: bytes) -> DocxDocument:
    """A fresh document equal to ``Document(BytesIO(base))``: a deep copy of the package
    opened once (parts, relationships, element trees), not a new unzip and parse."""
    package = copy.deepcopy(_template(base).part.package)
    return package.main_document_part.document


def write_zip(members: list[tuple[str, bytes]]) -> bytes:
    """The .docx of these members (name, content), in this order, zipped by
    :class:`_ZipWriter`."""
    writer = _ZipWriter()
    for name, blob in members:
        writer.write(name, blob)
    return writer.close()


#: member name and content → (crc32, deflated bytes)
_deflated: OrderedDict[tuple[str, bytes], tuple[int, bytes]] = OrderedDict()


def _deflate(name: str, blob: bytes) -> tuple[int, bytes]:
    kept = len(blob) <= KEPT_SIZE and name not in NEVER_KEPT
    key = (name, blob)
    found = _deflated.get(key) if kept else None
    if found is not None:
        _deflated.move_to_end(key)
        return found
    squeezer = zlib.compressobj(BODY_LEVEL, zlib.DEFLATED, -15)  # raw deflate, as zip wants
    found = (zlib.crc32(blob), squeezer.compress(blob) + squeezer.flush())
    if kept:
        _deflated[key] = found
        if len(_deflated) > KEPT:
            _deflated.popitem(last=False)
    return found


def _dos_time() -> tuple[int, int]:
    year, month, day, hour, minute, second = time.localtime()[:6]
    return (hour << 11) | (minute << 5) | (second // 2), ((year - 1980) << 9) | (month << 5) | day


class _ZipWriter:
    """A zip archive of deflated members, written the way :mod:`zipfile` writes them (local
    header, data; then the central directory), taking members already deflated: zipfile
    cannot, and would deflate the unchanged parts of every rendering again."""

    def __init__(self) -> None:
        self._out = io.BytesIO()
        self._central: list[bytes] = []
        self._clock, self._date = _dos_time()

    def write(self, member: str, blob: bytes) -> None:
        name = member.encode("ascii")
        crc, data = _deflate(member, blob)
        offset = self._out.tell()
        # version 2.0, no flags, deflated (8), time, date, crc, sizes, name length, no extra
        fixed = struct.pack(
            "<HHHHHIIIHH", 20, 0, 8, self._clock, self._date, crc, len(data), len(blob),
            len(name), 0,
        )  # fmt: skip
        self._out.write(b"PK\x03\x04" + fixed + name)
        self._out.write(data)
        # made by 2.0, then as the local header, no comment, disk 0, attributes 0, offset
        tail = struct.pack("<HHHII", 0, 0, 0, 0, offset)
        self._central.append(b"PK\x01\x02" + struct.pack("<H", 20) + fixed + tail + name)

    def close(self) -> bytes:
        start = self._out.tell()
        for entry in self._central:
            self._out.write(entry)
        size = self._out.tell() - start
        count = len(self._central)
        self._out.write(b"PK\x05\x06" + struct.pack("<HHHHIIH", 0, 0, count, count, size, start, 0))
        return self._out.getvalue()
