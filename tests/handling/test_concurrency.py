"""Two people acting at once: exactly one effect, the other gets 409 (real commits)."""
from __future__ import annotations

import threading

from sqlalchemy import func, select

from tests import factories
from tracker.audit.log import verify_chain
from tracker.audit.models import AuditEvent
from tracker.extensions import db
from tracker.handling.models import Assignment


def _race(app, path, users):
    barrier = threading.Barrier(len(users))
    clients = []
    for username in users:
        client = app.test_client()
        assert client.login(username).status_code == 302
        clients.append(client)
    results: list[int] = [0] * len(users)

    def act(index):
        barrier.wait()
        results[index] = clients[index].post_form(path).status_code

    threads = [threading.Thread(target=act, args=(i,)) for i in range(len(users))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return sorted(results)


def test_two_acknowledgements_at_once_give_one_effect_and_one_409(live_app):
    with live_app.test_request_context():
        w = factories.build_world()
        second_clerk = factories.make_user("health_clerk2", w["health"],
                                           *w["health_clerk"].roles)
        proposal = factories.make_proposal(w["clerk"], w["meeting"])
        (assignment,) = factories.assign(proposal, w["clerk"], lead=w["health"])
        db.session.commit()
        assignment_id = assignment.id
        del second_clerk

    for _ in range(3):  # several rounds, so a lucky interleaving cannot hide a race
        statuses = _race(live_app, f"/assignments/{assignment_id}/actions/accept",
                         ["health_clerk", "health_clerk2"])
        with live_app.app_context():
            state = db.session.get(Assignment, assignment_id).state
            accepts = db.session.scalar(select(func.count()).select_from(AuditEvent).where(
                AuditEvent.action == "accept", AuditEvent.outcome == "success",
                AuditEvent.object_id == assignment_id))
            assert verify_chain().ok
            db.session.remove()
        assert state == "accepted"
        assert accepts == 1
        if statuses == [302, 409]:
            break
        # Both may have been refused only if the first round already accepted it.
        assert statuses == [409, 409] and accepts == 1
    assert statuses[0] in (302, 409) and statuses[1] == 409


def test_parallel_registrations_of_one_number_save_one_item(live_app):
    with live_app.test_request_context():
        w = factories.build_world()
        factories.make_user("clerk2", w["office"], *w["clerk"].roles)
        db.session.commit()
        meeting_id = w["meeting"].id

    barrier = threading.Barrier(2)
    clients = []
    for name in ("clerk", "clerk2"):
        c = live_app.test_client()
        c.login(name)
        clients.append(c)
    results = [0, 0]

    def register(i):
        barrier.wait()
        results[i] = clients[i].post_form("/proposals/new", {
            "meeting_id": meeting_id, "number": "777", "title": "同号并发登记",
            "received_on": factories.past(1).isoformat(), "disclosure": "public",
            "authors-0-name": "李华",
        }).status_code

    threads = [threading.Thread(target=register, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    from tracker.proposals.models import Proposal

    with live_app.app_context():
        count = db.session.scalar(select(func.count()).select_from(Proposal).where(
            Proposal.number == "777"))
    assert count == 1
    assert sorted(results) in ([302, 409], [302, 422])
