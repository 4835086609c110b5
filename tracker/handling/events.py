"""What happens after a transition: every move that transition() makes is announced here.

transition() calls emit() once per move with a Transition. The packages above handling
(notifications, e-mail, numbering, ratings, and later search and disclosure) subscribe with
`subscribe()` from their `init_app()`, called by the app factory; handling imports none of
them. Subscribers run one after another in the order they subscribed (the app factory
initialises the packages lowest layer first), so a move's side effects happen in a fixed
order.

Subscribers run inside the transaction of the move: after the state change (and the
operation's effect) and before the move's audit row, so what they add to `event.details` is
logged with it. They never commit. When one raises, the exception leaves transition() and
the request, CLI command or job that runs the action rolls the whole action back.
"""
from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tracker.accounts.models import User
    from tracker.handling.workflow import Action


@dataclass(frozen=True)
class Transition:
    """One move of the workflow table, as its subscribers see it."""

    obj: object  # the Assignment or Proposal that moved
    action: Action
    actor: User
    old_state: str
    new_state: str
    details: dict  # the move's audit details; subscribers may add to them
    # One of many moves made at once (the bulk import): subscribers may sum them up rather
    # than act on each (e.g. one notice per unit instead of one per item).
    bulk: bool = False

    @property
    def proposal_id(self) -> int:
        return getattr(self.obj, "proposal_id", None) or self.obj.id


Subscriber = Callable[[Transition], None]

# (receiver, the actions it wants or None for every move), in the order of subscription
_subscribers: list[tuple[Subscriber, frozenset | None]] = []


def subscribe(receiver: Subscriber, *actions: Action) -> None:
    """Call receiver(event) after every move with one of these actions (any move when none).

    Subscribing the same receiver again (every app the tests build does) changes nothing.
    """
    if any(known is receiver for known, _ in _subscribers):
        return
    _subscribers.append((receiver, frozenset(actions) if actions else None))


def unsubscribe(receiver: Subscriber) -> None:
    _subscribers[:] = [(r, a) for r, a in _subscribers if r is not receiver]


@contextmanager
def subscribed(receiver: Subscriber, *actions: Action) -> Iterator[None]:
    """Subscribe for the duration of a with block (tests, one-off jobs)."""
    subscribe(receiver, *actions)
    try:
        yield
    finally:
        unsubscribe(receiver)


def subscribers(action: Action) -> list[Subscriber]:
    """Who is called after a move with this action, in order."""
    return [r for r, actions in _subscribers if actions is None or action in actions]


def emit(event: Transition) -> None:
    """Run the subscribers of this move (called by transition(), and by the bulk import for
    the 交办 it makes in bulk)."""
    for receiver in subscribers(event.action):
        receiver(event)
