"""Answer a per-row question for every row of a page from one query.

A list page asks the same questions of each of its rows (the workflow's guards: the latest
draft, the missing co-opinions, whether a leader instructed; the to-do list's wording: the
round's review decisions). Asked one row at a time they cost a query per row, so the page's
cost grows with the backlog. A function decorated with ``@batched(loader)`` keeps its
one-row meaning everywhere, but while ``rows(...)`` is active for the rows of a page, the
first call for any of them runs ``loader(those rows, *args)`` once and answers every later
call from its result.

Only for reading: a page computes its rows inside the block and changes nothing there (the
answers are not refreshed by a write in the block).
"""
from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any


class _Batch:
    __slots__ = ("answers", "ids", "members")

    def __init__(self, rows: Iterable[Any]) -> None:
        self.ids: dict[type, list[int]] = {}
        self.members: dict[type, set[int]] = {}
        for row in rows:
            kind = type(row)
            if row.id not in self.members.setdefault(kind, set()):
                self.members[kind].add(row.id)
                self.ids.setdefault(kind, []).append(row.id)
        self.answers: dict[tuple, dict[int, Any]] = {}


_CURRENT: ContextVar[_Batch | None] = ContextVar("batched_rows", default=None)


@contextmanager
def rows(items: Iterable[Any]) -> Iterator[None]:
    """Answer @batched questions about these rows (ORM objects with an ``id``) in bulk."""
    token = _CURRENT.set(_Batch(items))
    try:
        yield
    finally:
        _CURRENT.reset(token)


def covers(row: Any) -> bool:
    """Whether a batch is active for this row (a question may then be answered from another
    batched answer about it instead of a query of its own)."""
    batch = _CURRENT.get()
    return batch is not None and row.id in batch.members.get(type(row), ())


def batched(loader: Callable[..., dict[int, Any]], default: Any = None) -> Callable:
    """Decorate ``f(row, *args)``: inside ``rows()``, answered from ``loader(ids, *args)``,
    a mapping of row id to answer (``default`` for an id it leaves out; a mutable default
    is copied per call by passing a callable, e.g. ``list``)."""

    def decorate(one: Callable) -> Callable:
        @functools.wraps(one)
        def answer(row, *args):
            batch = _CURRENT.get()
            members = batch.members.get(type(row)) if batch is not None else None
            if members is None or row.id not in members:
                return one(row, *args)  # no batch, or a row outside the page: ask it alone
            key = (one, type(row), *args)
            known = batch.answers.get(key)
            if known is None:
                known = batch.answers[key] = loader(batch.ids[type(row)], *args)
            if row.id in known:
                return known[row.id]
            return default() if callable(default) else default

        answer.one = one
        return answer

    return decorate
