"""The index follows changes written around the ORM (Core statements): a leader's instruction
given on request, the items of a 交办清单 import."""
from __future__ import annotations

from sqlalchemy import select

from tests import factories
from tests.support.imports import item, xlsx
from tracker.core.time import today
from tracker.extensions import db
from tracker.imports import operations as imports
from tracker.instructions import operations as instructions
from tracker.instructions.choices import InstructionKind as K
from tracker.search import index
from tracker.search.models import SearchDocument
from tracker.search.query import matched_docs
from tracker.search.text import parse_query


def found_ids(user, q):
    docs = matched_docs(user, parse_query(q))
    return sorted(set(db.session.scalars(select(docs.c.proposal_id))))


def rows_of(pid):
    return sorted((r.source, r.body) for r in db.session.scalars(
        select(SearchDocument).where(SearchDocument.proposal_id == pid)))


def test_a_given_instruction_is_indexed(w):
    """give_instruction writes the text with a Core UPDATE (tracker.core.touched)."""
    proposal = factories.make_proposal(w.clerk, w.meeting, number="0701",
                                       title="关于加强社区卫生服务中心建设的建议")
    asked = instructions.request_instruction(proposal, w.clerk, kind=K.sign_off,
                                             leader_id=w.office_leader.id)
    db.session.commit()
    instructions.give_instruction(asked, w.office_leader, text="同意，请抓紧落实梅花鹿产业。",
                                  given_on=today())
    db.session.commit()
    assert found_ids(w.clerk, "梅花鹿") == [proposal.id]


def test_imported_items_are_indexed(w):
    """The 交办清单 import inserts items, authors and assignments with Core INSERTs."""
    result = imports.import_workbook(
        w.clerk, xlsx([item(801, title="关于发展人参产业的建议", authors="欧阳娜")]),
        "交办清单.xlsx")
    db.session.commit()
    (pid,) = result.proposal_ids
    assert found_ids(w.clerk, "人参产业") == [pid]
    assert found_ids(w.clerk, "欧阳娜") == [pid]
    assert found_ids(w.health_clerk, "人参产业") == [pid]


def test_rebuild_equals_incremental_after_import_and_instruction(w):
    proposal = factories.make_proposal(w.clerk, w.meeting, number="0702", title="关于林下经济的建议")
    asked = instructions.request_instruction(proposal, w.clerk, kind=K.sign_off,
                                             leader_id=w.office_leader.id)
    db.session.commit()
    instructions.give_instruction(asked, w.office_leader, text="同意林下参。", given_on=today())
    db.session.commit()
    before = rows_of(proposal.id)
    index.rebuild()
    db.session.commit()
    assert rows_of(proposal.id) == before
