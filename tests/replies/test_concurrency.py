"""Issuing and approving at the same moment, with real commits (SQLite and PostgreSQL).

Each thread has its own application context, hence its own session and connection; all are
released together by a barrier. Outcomes are what the application answers: a domain error's
HTTP status, and 409 for SQLite's "database is locked" (see the app's error handler).
"""
from __future__ import annotations

import random
import threading
import time

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError

from tests import factories
from tests.support.base import ON_POSTGRES
from tracker.accounts.models import Role, User
from tracker.audit.log import verify_chain
from tracker.audit.models import AuditEvent
from tracker.core.errors import DomainError
from tracker.core.time import today
from tracker.extensions import db
from tracker.handling import operations as handling
from tracker.handling.models import Assignment
from tracker.proposals.models import Disclosure
from tracker.replies import operations as replies
from tracker.replies.models import DocSeries, Reply, ReplyForm, ReviewDecision
from tracker.replies.queries import latest_draft

LETTERS = 50
YEAR = today().year


def _status(exc: BaseException) -> int:
    """The HTTP status the application answers for this error."""
    if isinstance(exc, DomainError):
        return exc.status
    if isinstance(exc, OperationalError) and "locked" in str(exc.orig).lower():
        return 409
    raise exc


def _in_review(w: dict, meeting) -> Assignment:
    """A new item of health, its first draft sent to 初审."""
    proposal = factories.make_proposal(w["clerk"], meeting)
    (assignment,) = factories.assign(proposal, w["clerk"], lead=w["health"])
    handling.accept_assignment(assignment, w["health_clerk"])
    handling.dispatch_assignment(assignment, w["health_clerk"],
                                 section_id=w["health_section"].id,
                                 drafter_id=w["health_drafter"].id)
    replies.save_draft(assignment, w["health_drafter"], body="一、基本情况\n我委高度重视。",
                       result_class="A", reply_form=ReplyForm.written,
                       disclosure=Disclosure.public, base_number=0)
    replies.submit_review(assignment, w["health_drafter"])
    return assignment


def _signed(w: dict, meeting) -> Assignment:
    assignment = _in_review(w, meeting)
    for reviewer in ("health_first", "health_second", "health_final"):
        replies.approve_draft(assignment, w[reviewer],
                              seen_version_id=latest_draft(assignment).id)
    replies.sign_reply(assignment, w["health_signer"],
                       seen_version_id=latest_draft(assignment).id)
    return assignment


def test_fifty_letters_issued_at_once_get_consecutive_numbers(live_app):
    with live_app.test_request_context():
        w = factories.build_world()
        ids = [_signed(w, w["meeting"]).id for _ in range(LETTERS)]
        clerk_id = w["health_clerk"].id
        db.session.commit()

    barrier = threading.Barrier(LETTERS, timeout=60)
    outcomes: list[list[int]] = [[] for _ in range(LETTERS)]
    numbers: list[str | None] = [None] * LETTERS
    failures: list[BaseException] = []

    def issue(index: int) -> None:
        try:
            with live_app.app_context():
                # Nothing is read before the barrier: a thread waiting there must not hold
                # one of the pool's connections (15) while 50 threads wait for each other.
                barrier.wait()
                deadline = time.monotonic() + 30
                while time.monotonic() < deadline:
                    try:
                        assignment = db.session.get(Assignment, ids[index])
                        clerk = db.session.get(User, clerk_id)
                        reply = replies.issue_reply(assignment, clerk)
                        db.session.commit()
                    except Exception as exc:  # noqa: BLE001 - classified below
                        db.session.rollback()
                        status = _status(exc)
                        outcomes[index].append(status)
                        if status != 409:
                            return
                        # What a user does with "正被他人处理，请稍后刷新重试": wait, retry.
                        time.sleep(random.uniform(0.005, 0.05))
                        db.session.expire_all()
                        continue
                    outcomes[index].append(200)
                    numbers[index] = reply.doc_number
                    return
        except BaseException as exc:  # noqa: BLE001 - reported by the main thread
            failures.append(exc)

    started = time.monotonic()
    threads = [threading.Thread(target=issue, args=(i,)) for i in range(LETTERS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    elapsed = time.monotonic() - started

    assert not failures, failures
    print(f"{LETTERS} letters in {elapsed:.1f} s, {sum(len(o) - 1 for o in outcomes)} retries "
          f"(at most {max(len(o) - 1 for o in outcomes)} for one letter)")
    assert all(o and o[-1] == 200 for o in outcomes), outcomes
    assert all(set(o[:-1]) <= {409} for o in outcomes), outcomes
    if ON_POSTGRES:
        # Issuers queue on the series row: nobody is turned away.
        assert all(o == [200] for o in outcomes), outcomes
    expected = [f"吉卫复议字〔{YEAR}〕{n}号" for n in range(1, LETTERS + 1)]
    assert sorted(numbers, key=lambda s: int(s.split("〕")[1][:-1])) == expected
    assert elapsed < 60, elapsed

    with live_app.app_context():
        rows = db.session.scalars(select(Reply).where(Reply.assignment_id.in_(ids))).all()
        assert sorted(r.series_number for r in rows) == list(range(1, LETTERS + 1))
        assert {r.assignment_id: r.doc_number for r in rows} == dict(zip(ids, numbers))
        [series] = db.session.scalars(select(DocSeries)).all()
        assert (series.kind.value, series.year, series.last_number) == (
            "suggestion", YEAR, LETTERS)
        states = db.session.scalars(select(Assignment.state).where(Assignment.id.in_(ids)))
        assert set(states) == {"replied"}
        issued = db.session.scalar(select(func.count()).select_from(AuditEvent).where(
            AuditEvent.action == "issue", AuditEvent.outcome == "success"))
        assert issued == LETTERS
        assert verify_chain().ok
        db.session.remove()


def _two_reviewers(live_app, rounds: int) -> tuple[list[int], list[int]]:
    """health with a second 初审 reviewer, and items whose draft waits at 初审."""
    with live_app.test_request_context():
        w = factories.build_world()
        second = factories.make_user("health_first2", w["health"], Role.reviewer_first,
                                     full_name="蒋初审")
        reviewer_ids = [w["health_first"].id, second.id]
        ids = [_in_review(w, w["meeting"]).id for _ in range(rounds)]
        db.session.commit()
    return reviewer_ids, ids


def _check_one_approval(live_app, assignment_id: int, reviewer_ids: list[int],
                        results: list) -> None:
    with live_app.app_context():
        assignment = db.session.get(Assignment, assignment_id)
        decisions = db.session.scalars(select(ReviewDecision).where(
            ReviewDecision.assignment_id == assignment_id)).all()
        approvals = db.session.scalar(select(func.count()).select_from(AuditEvent).where(
            AuditEvent.action == "approve", AuditEvent.outcome == "success",
            AuditEvent.object_id == assignment_id))
        assert (assignment.state, assignment.version) == ("second_review", 6)
        assert [(d.level, d.decision) for d in decisions] == [("first", "approve")]
        assert approvals == 1
        assert 200 in results and decisions[0].reviewer_id == reviewer_ids[results.index(200)]
        assert verify_chain().ok
        db.session.remove()
    assert sorted(results) == [200, 409], results


@pytest.mark.parametrize("send_version", [True, False], ids=["with-version", "without-version"])
def test_two_reviewers_approving_at_once_give_one_approval_and_one_409(live_app, send_version):
    """Operations in separate sessions. The pages send the assignment version they showed;
    an API client may leave it out, and must get the same answer."""
    reviewer_ids, ids = _two_reviewers(live_app, rounds=3)  # a lucky interleaving hides less

    for assignment_id in ids:
        barrier = threading.Barrier(2, timeout=30)
        results: list[int | None] = [None, None]
        failures: list[BaseException] = []

        def approve(index: int) -> None:
            try:
                with live_app.app_context():
                    # Both reviewers open the review page on the same version ...
                    assignment = db.session.get(Assignment, assignment_id)
                    reviewer = db.session.get(User, reviewer_ids[index])
                    seen = latest_draft(assignment).id
                    version = assignment.version if send_version else None
                    assert assignment.state == "first_review"
                    barrier.wait()
                    # ... and press 审核通过 at the same moment.
                    try:
                        replies.approve_draft(assignment, reviewer, seen_version_id=seen,
                                              comment="同意", version=version)
                        db.session.commit()
                        results[index] = 200
                    except Exception as exc:  # noqa: BLE001 - classified below
                        db.session.rollback()
                        results[index] = _status(exc)
            except BaseException as exc:  # noqa: BLE001
                failures.append(exc)

        threads = [threading.Thread(target=approve, args=(i,)) for i in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=60)
        assert not failures, failures
        _check_one_approval(live_app, assignment_id, reviewer_ids, results)


def test_two_reviewers_approving_at_once_through_the_api(live_app):
    """The same race through HTTP: two API clients, each posting what its GET showed."""
    from tracker.accounts.operations import issue_token

    reviewer_ids, ids = _two_reviewers(live_app, rounds=3)
    with live_app.test_request_context():
        tokens = [issue_token(db.session.get(User, uid), "race") for uid in reviewer_ids]
        db.session.commit()
    clients = [live_app.test_client() for _ in tokens]
    headers = [{"Authorization": f"Bearer {token}"} for token in tokens]

    for assignment_id in ids:
        seen = []
        for client, header in zip(clients, headers):
            item = client.get(f"/api/v1/proposals/{_proposal_of(live_app, assignment_id)}",
                              headers=header).get_json()
            [mine] = [a for a in item["assignments"] if a["id"] == assignment_id]
            assert "approve" in mine["allowed_actions"]
            seen.append({"seen_version_id": mine["draft"]["id"], "version": mine["version"]})
        barrier = threading.Barrier(2, timeout=30)
        results: list[int | None] = [None, None]

        def post(index: int) -> None:
            barrier.wait()
            results[index] = clients[index].post(
                f"/api/v1/assignments/{assignment_id}/actions/approve", headers=headers[index],
                json=seen[index]).status_code

        threads = [threading.Thread(target=post, args=(i,)) for i in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=60)
        _check_one_approval(live_app, assignment_id, reviewer_ids, results)


def _proposal_of(live_app, assignment_id: int) -> int:
    with live_app.app_context():
        proposal_id = db.session.get(Assignment, assignment_id).proposal_id
        db.session.remove()
    return proposal_id


def test_a_hundred_parallel_number_allocations_are_unique_and_gap_free(live_app):
    """100 transactions take a number of one series at once; every tenth then fails and
    rolls back (its number must come back), the others commit."""
    from tracker.accounts.models import Unit
    from tracker.replies.models import SeriesKind

    allocations = 100
    with live_app.test_request_context():
        unit_id = factories.build_world()["health"].id
        db.session.commit()
    barrier = threading.Barrier(allocations, timeout=60)
    committed: list[int] = []
    failures: list[BaseException] = []
    lock = threading.Lock()

    def allocate(index: int) -> None:
        try:
            with live_app.app_context():
                barrier.wait()
                deadline = time.monotonic() + 60
                while time.monotonic() < deadline:
                    try:
                        unit = db.session.get(Unit, unit_id)
                        _, number = replies.allocate_number(unit, SeriesKind.suggestion, 2031)
                        if index % 10 == 0:
                            raise RuntimeError("the letter failed after its number was taken")
                        db.session.commit()
                    except OperationalError:
                        db.session.rollback()  # SQLite: the writer lock is busy, try again
                        time.sleep(random.uniform(0.005, 0.05))
                        continue
                    except RuntimeError:
                        db.session.rollback()
                        return
                    with lock:
                        committed.append(number)
                    return
                raise TimeoutError(f"allocation {index} did not get through")
        except BaseException as exc:  # noqa: BLE001 - reported by the main thread
            failures.append(exc)

    threads = [threading.Thread(target=allocate, args=(i,)) for i in range(allocations)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not failures, failures
    assert sorted(committed) == list(range(1, 91))
    with live_app.app_context():
        series = db.session.scalars(select(DocSeries).where(DocSeries.year == 2031)).all()
        assert [(s.unit_id, s.last_number) for s in series] == [(unit_id, 90)]
