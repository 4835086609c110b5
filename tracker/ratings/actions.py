"""办结, the ratings action of the handling table (registered when this module is imported)."""
from __future__ import annotations

from tracker.handling.actions import ActionSpec, register_actions
from tracker.handling.workflow import Action
from tracker.ratings import forms, operations

register_actions({
    Action.close: ActionSpec(
        forms.CloseForm,
        lambda p, actor, f: operations.close_item(p, actor, grade=f.grade.data,
                                                  comment=f.comment.data or "")),
})
