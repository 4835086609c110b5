"""Verification codes printed on issued letters: 16 characters (80 random bits) from an
alphabet without look-alikes, shown in groups of four."""
from __future__ import annotations

import re
import secrets

ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
LENGTH = 16


def new_code() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))


def grouped(code: str) -> str:
    return "-".join(code[i:i + 4] for i in range(0, len(code), 4))


def normalise(text: str) -> str | None:
    """What a person typed (any case, with or without dashes/spaces) -> the stored code."""
    code = re.sub(r"[\s\-－]", "", text or "").upper()
    if len(code) != LENGTH or any(c not in ALPHABET for c in code):
        return None
    return code
