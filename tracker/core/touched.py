"""Items whose searchable text a Core statement changed (an `update()` or `insert()` that the
ORM's flush events do not see): whoever writes that way names the items here, and the search
index (tracker.search.index) rebuilds their rows before the transaction commits."""
from __future__ import annotations

from collections.abc import Iterable

KEY = "items_touched"


def items_touched(session, proposal_ids: Iterable[int | None]) -> None:
    session.info.setdefault(KEY, set()).update(i for i in proposal_ids if i is not None)
