"""Hostile values for the fuzz tests: what a careless, hurried or malicious sender may type,
paste or forge into a form field, a query string or a URL."""
from __future__ import annotations

import os

from hypothesis import strategies as st

# TRACKER_FUZZ_SCALE=10 runs ten times as many random examples (a longer hunt before a
# release); the default keeps tests/fuzz within a minute and a half on SQLite.
SCALE = float(os.environ.get("TRACKER_FUZZ_SCALE", "1"))


def examples(count: int) -> int:
    """The number of random examples to run, scaled by TRACKER_FUZZ_SCALE."""
    return max(1, round(count * SCALE))

LONG = "长" * 20000 + "x" * 50000
TEXT = [
    "", " ", "\x00", "a\x00b", "\x01\x02\x1b[31m\x7f\x08", "\r\n\r\n", "\t\v\f",
    "\u202eevil\u202c‮gpj.exe", "مرحبا بالعالم שלום עולם 你好 Ωμέγα Привет",
    "👨‍👩‍👧‍👦🏳️‍🌈" * 30, "\ufeff\u200b\u2028\u2029", "Ａ１２３－４",
    "<script>alert(1)</script>", "' OR 1=1 --", "%00%ff", "../../../etc/passwd",
    "{{7*7}}", LONG,
]
# "²", "①": digits to str.isdigit(), not to int(); "١٢٣", "１２": digits to int() too.
NUMBERS = [
    "0", "-1", "-0", "1.5", "1e309", "NaN", "inf", "9" * 40, str(2**31), str(2**63),
    str(-(2**63) - 1), "0x10", "1_000", " 7 ", "²", "①", "١٢٣", "１２",
]
DATES = [
    "9999-99-99", "0000-00-00", "2024-02-30", "9999-12-31", "0001-01-01", "1-1-1",
    "２０２６-０１-０１", "2026-01-01T00:00:00", "2026/01/01", "20260101", "-2026-01-01",
    "10000-01-01",
]
# Whole numbers for ids in URLs: just past PostgreSQL's integer, SQLite's, and far beyond.
HUGE_IDS = [2**31, 2**63, 10**30]


def is_utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


# Any text a browser can encode (lone surrogates it cannot), and bytes that are not UTF-8.
ANY_TEXT = st.text(st.characters(exclude_categories=("Cs",)), max_size=40)
INVALID_UTF8 = st.binary(min_size=1, max_size=12).filter(lambda b: not is_utf8(b))
VALUES = st.one_of(
    st.sampled_from(TEXT + NUMBERS + DATES),
    ANY_TEXT,
    st.integers(-(2**70), 2**70).map(str),
    INVALID_UTF8,
)

FILE_CONTENTS = [
    b"", b"%PDF-1.4\n%\xff\xff\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n",
    b"\x89PNG\r\n\x1a\n" + b"\x00" * 32, b"PK\x03\x04" + b"\x00" * 40,
    b"PK\x05\x06" + b"\x00" * 18, b"<html><script>alert(1)</script></html>",
    b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 64,
]
FILE_NAMES = [
    "答复.docx", "evil.pdf", "../../../etc/passwd", "a\x00b.pdf", "x" * 300 + ".pdf",
    "", ".pdf", "CON.pdf", "‮fdp.exe", "list.xlsx", "seal.png", "key.p12",
]
UPLOADS = st.tuples(st.sampled_from(FILE_CONTENTS) | st.binary(max_size=300),
                    st.sampled_from(FILE_NAMES) | ANY_TEXT)

# Fields no form has, or that only the server may set (mass assignment).
EXTRA_FIELDS = ["state", "unit_id", "approved_by", "approved_by_id", "actor_id", "version",
                "is_admin", "roles", "password_hash", "id", "proposal_id", "csrf_token "]
