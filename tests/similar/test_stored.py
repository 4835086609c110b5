"""The similar lists kept per item: ranked by a job once an item is registered or rewritten,
and by `flask similar fill` for items that have none (an upgraded installation, a bulk load)."""
from __future__ import annotations

from sqlalchemy import func, select

from tests import factories
from tests.similar.conftest import handled
from tests.support.jobs import queued, run_jobs
from tracker.extensions import db
from tracker.similar.models import SimilarLink, SimilarList

REFRESH = "tracker.similar.jobs.refresh_lists"


def _links(proposal_id: int) -> set[int]:
    return set(db.session.scalars(select(SimilarLink.other_id).where(
        SimilarLink.proposal_id == proposal_id)))


def _lists() -> set[int]:
    return set(db.session.scalars(select(SimilarList.proposal_id)))


def test_a_registered_item_is_ranked_by_a_job(app, w):
    older = handled(w, "关于提高乡村医生待遇的建议", "assigned")
    db.session.commit()
    run_jobs(app)
    newer = factories.make_proposal(w.clerk, w.meeting, title="关于提高乡村医生补助标准的建议")
    db.session.commit()
    assert (REFRESH, ([newer.id],)) in queued(upkeep=True)
    assert newer.id not in _lists()
    run_jobs(app)
    assert newer.id in _lists()
    assert _links(newer.id) == {older.id} and newer.id in _links(older.id)


def test_a_rewritten_title_queues_the_item_again_and_a_rollback_queues_nothing(app, w):
    item = handled(w, "关于提高乡村医生待遇的建议", "assigned")
    db.session.commit()
    run_jobs(app)
    item.title = "关于加快城市轨道交通建设的建议"
    db.session.commit()
    assert queued(upkeep=True) == [(REFRESH, ([item.id],))]
    run_jobs(app)
    factories.make_proposal(w.clerk, w.meeting, title="关于发展职业教育的建议")
    db.session.flush()
    db.session.rollback()
    assert queued(upkeep=True) == []
    item.category = "交通"  # not its text: nothing to rank again
    db.session.commit()
    assert queued(upkeep=True) == []


def test_fill_ranks_the_items_without_a_list(app, w):
    first = handled(w, "关于提高乡村医生待遇的建议", "assigned")
    second = handled(w, "关于提高乡村医生补助标准的建议", "assigned")
    db.session.commit()
    assert _lists() == set()  # their job has not run
    result = app.test_cli_runner().invoke(args=["similar", "fill"])
    assert result.exit_code == 0, result.output
    assert "已计算 2 件建议提案的相似列表" in result.output
    assert _lists() == {first.id, second.id}
    assert _links(first.id) == {second.id}
    again = app.test_cli_runner().invoke(args=["similar", "fill"])
    assert "已计算 0 件" in again.output
    every = app.test_cli_runner().invoke(args=["similar", "fill", "--all"])
    assert "已计算 2 件" in every.output
    assert db.session.scalar(select(func.count()).select_from(SimilarLink)) == 2
