"""What happens after a transition: every move that transition() makes is announced here.

transition() sends `transitioned` once per move, with the action as the sender and a
Transition as `event`. The packages above handling (notifications, e-mail, numbering,
ratings, and later search and disclosure) subscribe with `subscribe()` from their
`init_app()`, called by the app factory; handling itself imports none of them.

Subscribers run inside the transaction of the move: after the state change (and the
operation's effect) and before the move's audit row, so what they add to `event.details` is
logged with it. They never commit. When one raises, the exception leaves transition() and
the request, CLI command or job that runs the action rolls the whole action back.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable

from blinker import Namespace

if TYPE_CHECKING:
    from tracker.accounts.models import User
    from tracker.handling.workflow import Action

_signals = Namespace()
transitioned = _signals.signal("transitioned")


@dataclass(frozen=True)
class Transition:
    """One move of the workflow table, as its subscribers see it."""

    obj: object  # the Assignment or Proposal that moved
    action: Action
    actor: User
    old_state: str
    new_state: str
    details: dict  # the move's audit details; subscribers may add to them

    @property
    def proposal_id(self) -> int:
        return getattr(self.obj, "proposal_id", None) or self.obj.id


def subscribe(receiver: Callable[[Transition], None], *actions: Action) -> None:
    """Call receiver(event) after every move with one of these actions (any move when none)."""
    def adapter(_sender, *, event: Transition) -> None:
        receiver(event)

    # Connected once per receiver and action however often the app is built (tests build many).
    for sender in actions or (None,):
        key = (receiver, sender)
        if key in _connected:
            continue
        _connected[key] = adapter
        if sender is None:
            transitioned.connect(adapter, weak=False)
        else:
            transitioned.connect(adapter, sender=sender, weak=False)


_connected: dict[tuple, Callable] = {}


def emit(event: Transition) -> None:
    """Run the subscribers of this move (called by transition() only)."""
    transitioned.send(event.action, event=event)
