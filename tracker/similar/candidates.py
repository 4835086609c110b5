"""The candidates of a similar-items lookup, from the full-text index (tracker.search), and
the document frequencies that weigh them.

The index is asked for the query's rarest character bigrams, any of them matching (its
bigram column, ranked by the database: FTS5 bm25 or ts_rank): the measurement
(bench/similar_eval.py) found character bigrams survive a deputy's rewording where jieba's
words do not. The document frequencies of the terms, which pick those bigrams and weigh the
re-ranking, are counted from the item titles and kept per process until the number of items
changes by a twentieth.
"""
from __future__ import annotations

import math
import time
from collections import Counter
from collections.abc import Callable

from sqlalchemy import func, select

from tracker.extensions import db
from tracker.proposals.models import Proposal
from tracker.search import index as search_index
from tracker.search.models import Source
from tracker.search.query import similar_candidates
from tracker.similar.text import terms

# Below this many items the document frequencies are counted afresh on every lookup; above,
# the items are counted at most every RECOUNT_SECONDS, the titles read again when their number
# changed by a twentieth.
FRESH_BELOW = 2000
RECOUNT_SECONDS = 60
# The index is asked for the query's bigrams (at most MAX_BIGRAMS, the rarest), but for none
# that more than COMMON_SHARE of the titles have ("加强", "农村": they would make the database
# rank a tenth of the index for nothing) unless fewer than MIN_BIGRAMS are left. Measured on
# 100,000 demo items (bench/bench_similar.py): all bigrams 90 ms a lookup, those under 2% 35.
MAX_BIGRAMS = 24
MIN_BIGRAMS = 2
COMMON_SHARE = 0.02
MIDDLE_SHARE = 0.06
MIDDLE_BIGRAMS = 2
BATCH = 5000


class _DocumentFrequencies:
    """How many item titles hold each term."""

    def __init__(self):
        self.key: tuple | None = None
        self.count = 0
        self.counted_at = 0.0
        self.df: Counter = Counter()

    def current(self) -> tuple[int, Counter]:
        url = str(db.session.get_bind().engine.url)
        if (self.key is not None and self.key[0] == url and self.count >= FRESH_BELOW
                and time.monotonic() - self.counted_at < RECOUNT_SECONDS):
            return self.count, self.df
        count = db.session.scalar(select(func.count(Proposal.id))) or 0
        self.counted_at = time.monotonic()
        if (self.key is None or self.key[0] != url or count < FRESH_BELOW
                or abs(count - self.count) * 20 > count):
            df: Counter = Counter()
            for title in db.session.scalars(
                    select(Proposal.title).execution_options(yield_per=BATCH)):
                df.update(set(terms(title)))
            self.key, self.count, self.df = (url, count), count, df
        return self.count, self.df


_frequencies = _DocumentFrequencies()


def idf() -> Callable[[str], float]:
    """The inverse document frequency of a term among the item titles (smoothed)."""
    n, df = _frequencies.current()
    return lambda term: math.log((n + 1) / (df.get(term, 0) + 1)) + 1


def candidates(text: str, *, limit: int = 100, unit_id: int | None = None) -> list[int]:
    """The ids of the items whose index rows share the most (rarest) bigrams with text, best
    first; with unit_id, those whose issued reply of that unit does."""
    # The lookup sees this transaction's own changes (the index writes them before commit).
    search_index.settle(db.session)
    n, df = _frequencies.current()
    grams = sorted(set(terms(text)), key=lambda t: (df.get(t, 0), t))
    bigrams = [t for t in grams if len(t) == 2]
    rare_below = max(n * COMMON_SHARE, 100)
    rare = [t for t in bigrams if df.get(t, 0) <= rare_below][:MAX_BIGRAMS]
    # The subject's own words may be common where many items share a subject: the rarest few
    # of those in up to MIDDLE_SHARE of the titles, asked apart, so that the items sharing a
    # rare bigram are not crowded out (PostgreSQL's ts_rank does not weigh rarity).
    middle = [t for t in bigrams if rare_below < df.get(t, 0) <= n * MIDDLE_SHARE]
    asks = [rare, middle[:MIDDLE_BIGRAMS]]
    if len(rare) + len(asks[1]) < MIN_BIGRAMS:
        asks = [(bigrams or grams)[:MIN_BIGRAMS]]
    sources = (Source.REPLY,) if unit_id is not None else (Source.ITEM,)
    ids: dict[int, None] = {}
    for words in asks:
        if words:
            for proposal_id, _row, _score in similar_candidates(
                    text, limit=limit, sources=sources, unit_id=unit_id, words=words):
                ids.setdefault(proposal_id)
    return list(ids)
