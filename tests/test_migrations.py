"""The migrations keep data: every revision downgrades and upgrades again without losing a
row (on SQLite, batch migrations rebuild tables that other tables reference)."""
from __future__ import annotations

from types import SimpleNamespace

import flask_migrate
import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import CheckConstraint, func, inspect, select, text
from sqlalchemy.exc import IntegrityError

from tests.factories import build_world
from tests.support.base import build_app, fresh_database
from tests.support.handling import bring_to
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


def _check_names(table: str) -> set[str]:
    return {c["name"] for c in inspect(db.engine).get_check_constraints(table)}


def test_the_enum_checks_revision_refuses_rows_outside_their_enum_and_lists_them(tmp_path,
                                                                                 capsys):
    with fresh_database(tmp_path) as url:
        app = build_app(url, tmp_path)
        with app.test_request_context():
            w = SimpleNamespace(**build_world())
            assignment = bring_to(w, "drafting")
            db.session.commit()
            ids = (assignment.id, assignment.proposal_id)
            db.session.remove()
            flask_migrate.downgrade(revision="c3d4e5f6a7b8")
            db.session.remove()
            assert "ck_assignments_state_known" not in _check_names("assignments")
            with db.engine.begin() as conn:
                conn.execute(text("UPDATE assignments SET state = 'drafted' WHERE id = :id"),
                             {"id": ids[0]})
                conn.execute(text("UPDATE proposals SET state = 'limbo' WHERE id = :id"),
                             {"id": ids[1]})
            # Flask-Migrate prints the revision's message and exits with status 1.
            with pytest.raises(SystemExit) as err:
                flask_migrate.upgrade()
            db.session.remove()
            assert err.value.code == 1
            message = capsys.readouterr().err
            assert "assignments.state" in message and f"id {ids[0]}: 'drafted'" in message
            assert "proposals.state" in message and f"id {ids[1]}: 'limbo'" in message
            assert "nothing was changed" in message
            assert "ck_assignments_state_known" not in _check_names("assignments")
            with db.engine.begin() as conn:
                conn.execute(text("UPDATE assignments SET state = 'drafting' WHERE id = :id"),
                             {"id": ids[0]})
                conn.execute(text("UPDATE proposals SET state = 'drafting' WHERE id = :id"),
                             {"id": ids[1]})
            flask_migrate.upgrade()
            db.session.remove()
            assert {"ck_assignments_state_known", "ck_assignments_role_known",
                    "ck_assignments_due_after_assigned", "ck_assignments_drafting_has_drafter",
                    "ck_assignments_return_has_reason"} <= _check_names("assignments")
            with pytest.raises(IntegrityError):
                with db.engine.begin() as conn:
                    conn.execute(text("UPDATE assignments SET state = 'drafted' WHERE id = :id"),
                                 {"id": ids[0]})
            db.session.remove()
            db.engine.dispose()


def _modelled(name, type_, _parent) -> bool:
    """What the models describe: not the database's own full-text index (SQLite's FTS5 table
    search_fts and its shadow tables, PostgreSQL's GIN index on search_documents.tsv)."""
    if type_ == "table":
        return not (name or "").startswith("search_fts")
    return not (type_ == "index" and name == "ix_search_documents_tsv")


def test_the_models_match_the_migrated_schema(app):
    """Columns, types, indexes and CHECK constraints of the models are what the migrations
    build (so the enum-typed columns and their CHECKs agree with the revision)."""
    with app.app_context():
        with db.engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={
                "compare_type": True, "include_name": _modelled})
            diffs = compare_metadata(context, db.metadata)
        assert diffs == []
        for table in db.metadata.sorted_tables:
            modelled = {c.name for c in table.constraints
                        if isinstance(c, CheckConstraint) and c.name}
            assert modelled <= _check_names(table.name), table.name
