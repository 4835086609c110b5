"""Letters render once per session and are read back with pdfplumber and pypdf."""
from __future__ import annotations

import re

import pytest

from tests.support.letters import Rendered, render
from tracker.letters.samples import sample_letter


@pytest.fixture(scope="session")
def three_pages() -> Rendered:
    return render(sample_letter(3))


@pytest.fixture(scope="session")
def letter_text():
    """The extracted text of a rendered letter, whitespace removed."""
    def text_of(data: dict) -> str:
        return re.sub(r"\s+", "", render(data).text)
    return text_of
