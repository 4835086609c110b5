"""Leaders' instructions (领导批示) at the points of the 办理单, and the 办理单 itself."""
from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from tracker.files.views import register_download_rule
    from tracker.handling import events, workflow
    from tracker.instructions import operations, permissions, sheet
    from tracker.instructions.choices import InstructionKind, InstructionSource

    workflow.provide(unit_instructed=operations.unit_instructed)
    events.subscribe(operations.request_at_accept, workflow.Action.accept)
    register_download_rule(permissions.download_rule)
    app.jinja_env.globals.update(
        instruction_permissions=permissions, InstructionKind=InstructionKind,
        InstructionSource=InstructionSource, can_print_sheet=sheet.can_print,
        max_sheets=sheet.MAX_SHEETS)
