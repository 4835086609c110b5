"""承诺事项: the commitments of B and C replies followed until done (已落实) or explained
(未落实); progress reports, overdue warnings, the authors told, 办成率 and the 回头看."""
from __future__ import annotations

from flask import Flask

EVENT_LABELS = {
    "commitment_added": "登记承诺事项",
    "commitment_changed": "修改承诺事项",
    "commitment_progress": "报送承诺事项进展",
    "commitment_closed": "办结承诺事项",
}


def init_app(app: Flask) -> None:
    """Its timeline labels, who may download a progress report's file, the daily warning
    job, and the item page's card."""
    from tracker.commitments import jobs, permissions, queries  # noqa: F401 (jobs)
    from tracker.commitments.choices import CommitmentStatus
    from tracker.core.templating import EVENT_LABELS as LABELS
    from tracker.files.views import register_download_rule

    LABELS.update(EVENT_LABELS)
    register_download_rule(permissions.download_rule)
    app.jinja_env.globals.update(
        commitment_card=queries.card, commitment_permissions=permissions,
        CommitmentStatus=CommitmentStatus)
