"""The migrations keep data: every revision downgrades and upgrades again without losing a
row (on SQLite, batch migrations rebuild tables that other tables reference)."""
from __future__ import annotations

import flask_migrate
from sqlalchemy import func, select

from tests.support.base import build_app, fresh_database
from tests.factories import build_world
from tests.support.handling import bring_to
from types import SimpleNamespace
from tracker.core.time import today
from tracker.extensions import db
from tracker.handling.models import Assignment
from tracker.proposals.models import Author, Proposal
from tracker.replies.models import Reply
from tracker.supervision import facts

FIRST_AFTER_INITIAL = "17e667cb723f"


def _counts() -> tuple[int, ...]:
    return tuple(db.session.scalar(select(func.count()).select_from(model))
                 for model in (Proposal, Author, Assignment))


def test_down_to_the_first_revisions_and_up_again_keeps_every_row(tmp_path):
    # An empty database: every migration runs from the start (the suite's other databases are
    # copies of a template migrated once).
    with fresh_database(tmp_path, migrated=False) as url:
        app = build_app(url, tmp_path)
        with app.test_request_context():
            w = SimpleNamespace(**build_world())
            bring_to(w, "replied")
            bring_to(w, "drafting")
            db.session.commit()
            before = _counts()
            assert before[2] == 2 and db.session.scalar(
                select(func.count()).select_from(Reply)) == 1
            db.session.remove()
            flask_migrate.downgrade(revision=FIRST_AFTER_INITIAL)
            db.session.remove()
            assert _counts() == before
            db.session.remove()
            flask_migrate.upgrade()
            db.session.remove()
            assert _counts() == before
            db.session.remove()
            db.engine.dispose()


def test_the_facts_revision_computes_the_facts_of_existing_assignments(tmp_path):
    with fresh_database(tmp_path, migrated=False) as url:
        app = build_app(url, tmp_path)
        with app.test_request_context():
            w = SimpleNamespace(**build_world())
            bring_to(w, "rated")
            bring_to(w, "drafting")
            db.session.commit()
            db.session.remove()
            flask_migrate.downgrade(revision="e8b2d3f4a5c6")
            db.session.remove()
            flask_migrate.upgrade()
            db.session.remove()
            rated = db.session.scalar(select(Assignment).where(Assignment.state == "rated"))
            assert (rated.first_reply_on, rated.reply_on_time, rated.latest_class,
                    rated.latest_rating) == (today(), True, "A", "satisfied")
            assert facts.mismatches() == []
            db.session.remove()
            db.engine.dispose()
