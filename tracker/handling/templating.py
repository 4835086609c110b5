"""The handling helpers of the templates: permissions, actions, states and their labels."""
from __future__ import annotations

from flask import Flask

from tracker.core.states import DRAFT_ACTIONS, REVIEW_ACTIONS, ExtensionStatus, ReviewLevel
from tracker.core.templating import EVENT_LABELS
from tracker.handling import permissions
from tracker.handling.actions import action_title, active_assignments
from tracker.handling.models import ContactMethod, ContactStage, UnitRole
from tracker.handling.workflow import (
    ACTION_LABELS,
    Action,
    AssignmentState,
    ProposalState,
    allowed_actions,
    return_window,
)


def state_label(value: str, kind: str = "proposal") -> str:
    return (ProposalState if kind == "proposal" else AssignmentState).label_of(value)


def action_label(value: str) -> str:
    try:
        return ACTION_LABELS[Action(value)]
    except ValueError:
        return EVENT_LABELS.get(value, value)


def register(app: Flask) -> None:
    app.jinja_env.globals.update(
        permissions=permissions,
        allowed_actions=allowed_actions,
        return_window=return_window,
        ExtensionStatus=ExtensionStatus,
        Action=Action,
        REVIEW_ACTIONS=REVIEW_ACTIONS,
        DRAFT_ACTIONS=DRAFT_ACTIONS,
        state_label=state_label,
        action_label=action_label,
        action_title=action_title,
        active_assignments=active_assignments,
        ProposalState=ProposalState,
        AssignmentState=AssignmentState,
        ReviewLevel=ReviewLevel,
        UnitRole=UnitRole,
        ContactStage=ContactStage,
        ContactMethod=ContactMethod,
    )
