"""Start-up rules: production refuses demo accounts and weak secrets; demo data loads."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from tests.support.base import build_app, fresh_database
from tracker import create_app
from tracker.audit.log import verify_chain
from tracker.extensions import db


def test_production_needs_a_secret_key(monkeypatch):
    monkeypatch.delenv("TRACKER_SECRET_KEY", raising=False)
    with pytest.raises(RuntimeError, match="TRACKER_SECRET_KEY"):
        create_app({"ENV": "production", "DATABASE_URL": "sqlite://", "SECRET_KEY": None})


def test_production_refuses_a_short_secret():
    with pytest.raises(RuntimeError, match="太短"):
        create_app({"ENV": "production", "DATABASE_URL": "sqlite://", "SECRET_KEY": "short"})


def test_demo_data_loads_once_and_production_then_refuses_to_start(tmp_path):
    with fresh_database(tmp_path) as url:
        app = build_app(url, tmp_path)
        runner = app.test_cli_runner()
        result = runner.invoke(args=["demo", "--if-empty"])
        assert result.exit_code == 0, result.output
        assert "jiaoban" in result.output and "Demo-" in result.output
        again = runner.invoke(args=["demo", "--if-empty"])
        assert again.exit_code == 0 and "跳过" in again.output
        with app.app_context():
            from tracker.proposals.models import Proposal

            states = set(db.session.scalars(select(Proposal.state)))
            assert {"registered", "assigned", "return_requested", "accepted",
                    "drafting", "first_review", "replied"} <= states
            _check_demo_replies()
            assert verify_chain().ok
            db.session.remove()
            db.engine.dispose()
        production = {"ENV": "production", "DATABASE_URL": url, "SECRET_KEY": "p" * 40,
                      "PUBLIC_BASE_URL": "https://jianyi.example.gov.cn",
                      "SIGNING_DIR": str(tmp_path / "prod-signing")}
        with pytest.raises(RuntimeError, match="演示账户"):
            create_app(production)
        with pytest.raises(RuntimeError, match="TRACKER_PUBLIC_BASE_URL"):
            create_app({**production, "PUBLIC_BASE_URL": "http://127.0.0.1:5000"})
        trust = tmp_path / "prod-signing" / "trust"
        trust.mkdir(parents=True)
        (trust / "demo-ca.pem").write_text("demo root")
        with pytest.raises(RuntimeError, match="演示根证书"):
            create_app(production)
        refused = build_app(url, tmp_path, ENV="production", SECRET_KEY="p" * 40)
        result = refused.test_cli_runner().invoke(args=["demo"])
        assert result.exit_code == 1 and "生产模式不能加载演示数据" in result.output
        with refused.app_context():
            db.session.remove()
            db.engine.dispose()


def test_create_admin_command(tmp_path):
    with fresh_database(tmp_path) as url:
        app = build_app(url, tmp_path)
        runner = app.test_cli_runner()
        weak = runner.invoke(args=["create-admin", "root", "--password-stdin"], input="123456\n")
        assert weak.exit_code == 1 and "密码至少 8 个字符" in weak.output
        ok = runner.invoke(args=["create-admin", "root", "--password-stdin"],
                           input="Long-enough-pass-1\n")
        assert ok.exit_code == 0, ok.output
        token = runner.invoke(args=["tokens", "issue", "root", "--name", "ci"])
        assert token.exit_code == 0 and token.output.startswith("trk_")
        with app.app_context():
            from tracker.accounts.models import ApiToken, User
            from tracker.accounts.operations import user_for_token

            assert db.session.scalar(select(func.count()).select_from(User)) == 1
            assert user_for_token(token.output.strip()).username == "root"
            stored = db.session.scalar(select(ApiToken.token_hash))
            assert token.output.strip() not in stored
            db.session.remove()
            db.engine.dispose()


def _check_demo_replies() -> None:
    """The demo shows drafting, review and an issued reply of the health commission."""
    from tracker.accounts.models import Unit, User
    from tracker.core.time import today
    from tracker.handling.models import Assignment
    from tracker.handling.workflow import Action, allowed_actions
    from tracker.proposals.models import Proposal
    from tracker.replies.models import Reply
    from tracker.replies.queries import decisions, drafts, review_context

    def user(username: str) -> User:
        return db.session.scalar(select(User).where(User.username == username))

    def lead_of(number: str) -> Assignment:
        proposal = db.session.scalar(select(Proposal).where(Proposal.number == number))
        return next(a for a in proposal.assignments if a.role.value == "lead")

    health = db.session.scalar(select(Unit).where(Unit.name == "吉林省卫生健康委员会"))
    assert (health.prefix_suggestion, health.prefix_proposal, health.prefix_co_opinion) == (
        "吉卫复议字", "吉卫复提字", "吉卫会字")
    assert health.closing_default == "感谢您对卫生健康工作的关心和支持。"
    assert health.principal_leader_id == user("wjw_qf").id
    assert health.chain == ["first", "second", "final"]

    # 118: a first draft, the co-handling opinion in: the drafter can send it to review.
    a118 = lead_of("118")
    assert [v.number for v in drafts(a118)] == [1]
    assert Action.submit_review in allowed_actions(a118, user("wjw_cbr"))

    # 118: hr's 会办意见, returned once by its leader, approved and numbered in the default
    # series (hr typed no prefix); 212: hr's next one waits for the leader's approval.
    from tracker.desk.queries import todo_for

    co118 = next(a for a in lead_of("118").proposal.assignments if a.role.value == "co")
    assert [o.status.value for o in co118.opinions] == ["returned", "approved"]
    assert co118.opinions[-1].doc_number == f"省人力资源和社会保障厅会字〔{today().year}〕1号"
    assert co118.opinions[-1].decided_by.username == "rsj_ld"
    assert [(e.proposal.number, e.what) for e in todo_for(user("rsj_ld"))] == [
        ("212", "待审批会办意见")]

    # 156: in 初审 after one return; 陈静 sees what changed since she returned it.
    a156 = lead_of("156")
    assert a156.state == "first_review" and drafts(a156)[-1].created_by.username == "wjw_cbr"
    assert [d.decision for d in decisions(a156)] == ["return"]
    assert Action.approve in allowed_actions(a156, user("wjw_cs"))
    assert review_context(a156, user("wjw_cs"))["diff_since_seen"] is not None

    # 87: issued with the first number of the year's suggestion series.
    reply = db.session.scalar(select(Reply).where(Reply.assignment_id == lead_of("87").id))
    assert reply.doc_number == f"吉卫复议字〔{today().year}〕1号"
    assert (reply.first_reviewer, reply.second_reviewer, reply.final_reviewer,
            reply.signer_name) == ("陈静", "周涛", "吴刚", "郑伟")
