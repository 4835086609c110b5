"""Similar items and a unit's past replies, ranked by tracker.similar.text."""
from __future__ import annotations

# Cosine (of tracker.similar.text's vectors) from which an item of the same meeting is flagged
# as a possible duplicate or 并案 candidate; measured by bench/similar_eval.py.
DUPLICATE_THRESHOLD = 0.30
