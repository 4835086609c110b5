"""Helpers for the backup drills: real commits on the test's own database, the `flask`
command run as an operator (or cron) would, and the database's contents summarised."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from sqlalchemy import select

from tests import factories
from tracker.config import PROJECT_ROOT
from tracker.extensions import db
from tracker.handling import operations as handling
from tracker.handling.models import Assignment


def world_with_an_accepted_item(app) -> dict:
    """The standard world and one item registered, assigned to health and accepted."""
    with app.test_request_context():
        w = factories.build_world()
        proposal = factories.make_proposal(w["clerk"], w["meeting"])
        (assignment,) = factories.assign(proposal, w["clerk"], lead=w["health"])
        handling.accept_assignment(assignment, w["health_clerk"])
        db.session.commit()
        return {"clerk": w["clerk"].id, "meeting": w["meeting"].id,
                "health_clerk": w["health_clerk"].id, "health": w["health"].id,
                "proposal": proposal.id, "assignment": assignment.id}


def register_item(app, ids: dict, title: str = "关于完善社区养老服务设施的建议") -> int:
    from tracker.accounts.models import User
    from tracker.proposals.models import Meeting

    with app.test_request_context():
        clerk = db.session.get(User, ids["clerk"])
        proposal = factories.make_proposal(clerk, db.session.get(Meeting, ids["meeting"]),
                                           title=title)
        db.session.commit()
        return proposal.id


def summary(app) -> dict:
    """Row counts per table and the audit chain head, read through a fresh connection."""
    from tracker.maintenance.backup import _live_summary

    with app.app_context():
        db.session.remove()
        db.engine.dispose()  # what restarting the app's workers after a restore does
        return _live_summary()


def assignment_state(app, assignment_id: int) -> str | None:
    with app.app_context():
        state = db.session.scalar(select(Assignment.state).where(Assignment.id == assignment_id))
        db.session.remove()
        return state


def chain(app):
    from tracker.audit.log import verify_chain

    with app.app_context():
        report = verify_chain()
        db.session.remove()
        return report


def flask_cli(app, tmp_path: Path, *args: str, timeout: float = 60) -> subprocess.CompletedProcess:
    """`flask --app wsgi ARGS` in its own process, configured like the test's app."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRACKER_")}
    env.update({
        "TRACKER_DATABASE_URL": app.config["DATABASE_URL"],
        "TRACKER_SECRET_KEY": app.config["SECRET_KEY"],
        "TRACKER_INSTANCE_DIR": str(tmp_path / "instance"),
        "TRACKER_UPLOAD_DIR": app.config["UPLOAD_DIR"],
        "TRACKER_LETTER_DIR": app.config["LETTER_DIR"],
        "TRACKER_SIGNING_DIR": app.config["SIGNING_DIR"],
        "TRACKER_SIGNING_PASSWORDS_FILE": app.config["SIGNING_PASSWORDS_FILE"],
        "TRACKER_STORAGE_URL": app.config["STORAGE_URL"],
        "TRACKER_ENV": "development",
        "PYTHONWARNINGS": "ignore",
    })
    return subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", *args],
                          cwd=PROJECT_ROOT, env=env, capture_output=True, text=True,
                          timeout=timeout, check=False)
