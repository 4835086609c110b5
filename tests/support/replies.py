"""Replies: a review chain that approves, real Word documents and archives."""
from __future__ import annotations

import io
import zipfile

from werkzeug.datastructures import FileStorage

from tests.support.handling import latest_id
from tracker.replies import operations as replies


def approve_chain(w, assignment, reviewers=None) -> None:
    """Every level of health's chain approves the latest version (one reviewer a level)."""
    by_level = {"first": w.health_first, "second": w.health_second, "final": w.health_final}
    for level in assignment.unit.chain:
        reviewer = (reviewers or by_level)[level]
        replies.approve_draft(assignment, reviewer, seen_version_id=latest_id(assignment))


def docx_bytes(*paragraphs: str) -> bytes:
    """A real Word document with these paragraphs (python-docx)."""
    import docx

    document = docx.Document()
    for text in paragraphs:
        document.add_paragraph(text)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def zip_bytes(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, content in files.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def upload(content: bytes, name: str = "答复.docx") -> FileStorage:
    return FileStorage(stream=io.BytesIO(content), filename=name,
                       content_type="application/octet-stream")


def replace_member(content: bytes, name: str, data: bytes) -> bytes:
    """The package with one member's content replaced."""
    source = zipfile.ZipFile(io.BytesIO(content))
    return zip_bytes({info.filename: data if info.filename == name else source.read(info)
                      for info in source.infolist()})


def damage_member(content: bytes, name: str, *, method: int | None = None) -> bytes:
    """The package with a member's compressed bytes overwritten, or its compression method
    changed to one zipfile does not know (in the local and the central header)."""
    import struct

    info = zipfile.ZipFile(io.BytesIO(content)).getinfo(name)
    damaged = bytearray(content)
    start = info.header_offset
    name_len, extra_len = struct.unpack("<HH", content[start + 26:start + 30])
    if method is None:
        data = start + 30 + name_len + extra_len
        damaged[data:data + 8] = b"\xff" * 8
        return bytes(damaged)
    damaged[start + 8:start + 10] = struct.pack("<H", method)
    central = content.find(b"PK\x01\x02")
    while central >= 0:
        length = struct.unpack("<H", content[central + 28:central + 30])[0]
        if content[central + 46:central + 46 + length] == name.encode():
            damaged[central + 10:central + 12] = struct.pack("<H", method)
        central = content.find(b"PK\x01\x02", central + 4)
    return bytes(damaged)
