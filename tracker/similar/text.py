"""The text side of similarity: normalising a title and the character n-grams it is compared by.

The method was chosen by measuring (bench/similar_eval.py, README): character unigrams and
bigrams weighted by TF-IDF and compared by cosine find a paraphrased title's original more
often than word BM25 or MinHash, because deputies reword (农村/乡村, 推进/推动) and the shared
characters survive the rewording while whole words do not.
"""
from __future__ import annotations

import math
import re
from collections import Counter

# Set phrases every title carries: they say nothing about the subject.
_HEAD = re.compile(r"^(关于|建议|提案|请求|呼吁)+")
_TAIL = re.compile(r"(的)?(建议|提案|议案|意见|提议)$")
NGRAM_SIZES = (1, 2)
# Cosine from which an item of the same meeting is flagged as a possible duplicate or 并案
# candidate; measured by bench/similar_eval.py: it flags 62% of the paraphrases of the same
# ask and 9% of the near misses (same subject, another ask).
DUPLICATE_THRESHOLD = 0.30
# How much of the body (after the title) a registration query reads.
BODY_CHARS = 400


def normalize(text: str) -> str:
    """The letters and digits of a title without its set phrases, Latin in lower case."""
    text = "".join(ch for ch in text.lower() if ch.isalnum())
    return _TAIL.sub("", _HEAD.sub("", text)) or text


def terms(text: str) -> list[str]:
    """The character n-grams a text is compared by, repeated as often as they occur."""
    text = normalize(text)
    return [text[i:i + n] for n in NGRAM_SIZES for i in range(len(text) - n + 1)]


def weigh(counts: Counter, idf) -> dict[str, float]:
    """The unit-length TF-IDF vector of term counts (sublinear tf; idf(term) -> weight)."""
    vector = {t: (1 + math.log(c)) * idf(t) for t, c in counts.items()}
    length = math.sqrt(sum(v * v for v in vector.values())) or 1.0
    return {t: v / length for t, v in vector.items() if v}


def cosine(a: dict[str, float], b: dict[str, float]) -> float:
    if len(a) > len(b):
        a, b = b, a
    return sum(w * b.get(t, 0.0) for t, w in a.items())
