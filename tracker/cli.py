"""Command-line tools: first administrator, API tokens, audit verification, demo data, the
e-mail outbox, deadline reminders."""
from __future__ import annotations

import sys

import click
from flask import Flask
from flask.cli import AppGroup, with_appcontext
from sqlalchemy import select

from tracker.extensions import db


def register(app: Flask) -> None:
    app.cli.add_command(create_admin)
    app.cli.add_command(tokens)
    app.cli.add_command(audit_group)
    app.cli.add_command(demo)
    app.cli.add_command(outbox_group)
    app.cli.add_command(remind)
    app.cli.add_command(jobs_group)
    from tracker.letters.cli import register_cli
    from tracker.signing import cli as _signing_cli  # noqa: F401  (letters demo-ca / verify)

    register_cli(app)  # flask --app wsgi letters render|demo-ca|verify …
    from tracker.maintenance.cli import register_cli as register_maintenance

    register_maintenance(app)  # flask --app wsgi backup / restore PATH
    from tracker.supervision.cli import register_cli as register_supervision_cli

    register_supervision_cli(app)  # flask --app wsgi supervision check-facts


@click.command("create-admin")
@click.argument("username")
@click.option("--name", "full_name", default="系统管理员", help="Display name.")
@click.option("--unit", "unit_name", default="系统管理", help="Unit (created if missing).")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@with_appcontext
def create_admin(username: str, full_name: str, unit_name: str, password_stdin: bool) -> None:
    """Create an administrator account (for the first start of an installation)."""
    from tracker.accounts import operations
    from tracker.accounts.models import Role, Unit
    from tracker.core.errors import ValidationFailed

    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = click.prompt("密码", hide_input=True, confirmation_prompt=True)
    unit = db.session.scalar(select(Unit).where(Unit.name == unit_name))
    try:
        if unit is None:
            unit = operations.create_unit(None, name=unit_name)
        operations.create_user(None, username=username, full_name=full_name,
                               password=password, unit=unit, roles={Role.admin})
    except ValidationFailed as exc:
        db.session.rollback()
        for field, messages in exc.errors.items():
            for message in messages:
                click.echo(f"错误（{field}）：{message}", err=True)
        raise SystemExit(1) from None
    db.session.commit()
    click.echo(f"已创建管理员 {username}。")


tokens = AppGroup("tokens", help="Issue and revoke API tokens.")


@tokens.command("issue")
@click.argument("username")
@click.option("--name", default="api", help="What the token is for.")
@click.option("--scope", type=click.Choice(["read", "act"]), default="read", show_default=True,
              help="read: GET only; act: everything the user may do.")
@click.option("--days", type=int, default=None,
              help="Validity in days (default and most: TRACKER_API_TOKEN_MAX_DAYS).")
def issue_token(username: str, name: str, scope: str, days: int | None) -> None:
    """Issue an API token for USERNAME and print it once."""
    from tracker.accounts import operations
    from tracker.accounts.models import User
    from tracker.core.errors import ValidationFailed

    user = db.session.scalar(select(User).where(User.username == username))
    if user is None or not user.is_enabled:
        click.echo(f"错误：用户 {username} 不存在或已停用。", err=True)
        raise SystemExit(1)
    try:
        token = operations.issue_token(user, name, days, scope)
    except ValidationFailed as exc:
        db.session.rollback()
        for messages in exc.errors.values():
            for message in messages:
                click.echo(f"错误：{message}", err=True)
        raise SystemExit(1) from None
    db.session.commit()
    click.echo(token)


@tokens.command("revoke")
@click.argument("prefix")
def revoke_token(prefix: str) -> None:
    """Revoke the token(s) starting with PREFIX."""
    from tracker.accounts import operations
    from tracker.accounts.models import ApiToken

    rows = db.session.scalars(select(ApiToken).where(ApiToken.prefix == prefix[:10])).all()
    if not rows:
        click.echo("错误：没有该前缀的令牌。", err=True)
        raise SystemExit(1)
    for row in rows:
        if row.revoked_at is None:
            operations.revoke_token(None, row)  # audited, actor "system"
    db.session.commit()
    click.echo(f"已吊销 {len(rows)} 个令牌。")


audit_group = AppGroup("audit", help="The event log.")


@audit_group.command("verify")
def audit_verify() -> None:
    """Check the hash chain of the event log; exit 1 when it is broken."""
    from tracker.audit.log import verify_chain

    report = verify_chain()
    if report.ok:
        click.echo(f"审计日志完整：共 {report.count} 条事件，哈希链校验通过。")
        return
    click.echo(f"审计日志校验失败（共 {report.count} 条事件）：", err=True)
    for problem in report.problems:
        click.echo(f"  - {problem}", err=True)
    raise SystemExit(1)


@click.command("demo")
@click.option("--if-empty", is_flag=True, help="Only when the database has no users yet.")
@click.option("--items", type=click.IntRange(0, 1_000_000), default=0,
              help="Also add N bulk demo items with their handling history (after the base "
                   "demo; inserted in batches, no audit events are written for them).")
@with_appcontext
def demo(if_empty: bool, items: int) -> None:
    """Load fictional demo units, users and items (refused in production mode)."""
    from flask import current_app

    from tracker import demo as demo_data
    from tracker.accounts.models import User

    if current_app.config["ENV"] == "production":
        click.echo("错误：生产模式不能加载演示数据。", err=True)
        raise SystemExit(1)
    if db.session.scalar(select(User.id).limit(1)) is not None:
        if items:
            _demo_bulk(items)
            return
        if if_empty:
            click.echo("数据库已有数据，跳过演示数据。")
            return
        click.echo("错误：数据库不是空的，演示数据只能加载到空数据库。", err=True)
        raise SystemExit(1)
    accounts, links = demo_data.load()
    db.session.commit()
    demo_data.print_accounts(accounts, links)
    if items:
        _demo_bulk(items)


def _demo_bulk(items: int) -> None:
    from tracker import demo_bulk

    report = demo_bulk.generate(items, progress=lambda n: click.echo(f"  已生成 {n} 件……"))
    db.session.commit()
    click.echo(f"已批量生成 {report.items} 件演示建议提案（共 {report.rows} 行，"
               f"{report.seconds:.1f} 秒，其中全文索引 {report.index_rows} 条 "
               f"{report.index_seconds:.1f} 秒；会议：{'、'.join(report.meetings)}）。"
               "批量数据不写审计日志。")


outbox_group = AppGroup("outbox", help="E-mails and SMS waiting to be sent.")


@outbox_group.command("send")
@click.option("--limit", default=50, type=click.IntRange(1, 10000),
              help="At most this many messages.")
def outbox_send(limit: int) -> None:
    """Send the messages that are due now, in this process (the job queue's consumer does
    this by itself); exit 1 when some failed."""
    from flask import current_app

    from tracker.notifications.outbox import deliver_due

    if not current_app.config.get("SMTP_HOST") and not current_app.config.get("SMS_GATEWAY_URL"):
        click.echo("错误：未配置邮件服务器（TRACKER_SMTP_HOST）或短信网关，消息仍在待发送队列中。",
                   err=True)
        raise SystemExit(1)
    sent, failed = deliver_due(limit)
    click.echo(f"已发送 {sent} 封，发送失败 {failed} 封（失败的将按间隔自动重试）。")
    if failed:
        raise SystemExit(1)


@outbox_group.command("list")
@click.option("--all", "show_all", is_flag=True, help="Sent messages too.")
def outbox_list(show_all: bool) -> None:
    """List the messages not yet sent (with --all: every message)."""
    from tracker.core.time import to_local
    from tracker.notifications.models import OutboxMessage
    from tracker.notifications.outbox import MAX_ATTEMPTS

    query = select(OutboxMessage).order_by(OutboxMessage.id)
    if not show_all:
        query = query.where(OutboxMessage.sent_at.is_(None))
    rows = db.session.scalars(query).all()
    if not rows:
        click.echo("没有待发送的消息。" if not show_all else "没有消息。")
        return

    def when(value) -> str:
        return to_local(value).strftime("%Y-%m-%d %H:%M") if value else "-"

    for m in rows:
        if m.sent_at is not None:
            status = f"已发送 {when(m.sent_at)}"
        elif m.failed_at is not None or m.attempts >= MAX_ATTEMPTS:
            status = f"已放弃（尝试 {m.attempts} 次）"
        elif m.attempts:
            status = f"待重试（已尝试 {m.attempts} 次，下次 {when(m.next_attempt_at)}）"
        else:
            status = f"待发送（{when(m.next_attempt_at)} 起）"
        line = f"#{m.id}\t{m.channel.label}\t{m.kind}\t{m.recipient}\t{status}"
        if m.last_error and m.sent_at is None:
            line += f"\t{m.last_error}"
        click.echo(line)
    pending = sum(1 for m in rows if m.sent_at is None)
    click.echo(f"共 {len(rows)} 条，其中未发送 {pending} 条。")


@click.command("remind")
@click.option("--days", default=3, show_default=True, type=click.IntRange(0, 60),
              help="Remind of steps due within this many working days (and overdue ones).")
@click.option("--dry-run", is_flag=True, help="Only report what would be sent.")
@with_appcontext
def remind(days: int, dry_run: bool) -> None:
    """Notify the people who must act next on items due soon or overdue now (the consumer
    does it every morning by itself; running it again sends nothing twice)."""
    from tracker.notifications.models import NotificationKind
    from tracker.notifications.operations import remind as run_reminders

    report = run_reminders(days, dry_run=dry_run)
    sent = report.sent
    head = "（试运行，未发送任何通知）" if dry_run else ""
    click.echo(f"{head}截至 {report.on.isoformat()}，提醒 {report.horizon.isoformat()} 前到期"
               "及已逾期的事项：")
    for kind in (NotificationKind.overdue, NotificationKind.due_soon):
        verb = "将发送" if dry_run else "已发送"
        click.echo(f"  {kind.label}：{verb}站内通知 {sent[kind]} 条")
    click.echo(f"  此前已提醒、未重复发送：{report.repeated} 条")
    if dry_run:
        for reminder in report.reminders:
            if reminder.new:
                click.echo(f"  - {reminder.user.full_name}：{reminder.text}")
        db.session.rollback()
        return
    db.session.commit()
    click.echo(f"  已通知 {report.people} 人；邮件和短信按各人的设置由任务队列发送。")


jobs_group = AppGroup("jobs", help="The job queue: its consumer and its state.")


@jobs_group.command("worker")
@click.option("--workers", default=2, show_default=True, type=click.IntRange(1, 64),
              help="Threads running jobs.")
@click.option("--no-periodic", is_flag=True,
              help="Leave the periodic jobs to another consumer (run them on exactly one).")
def jobs_worker(workers: int, no_periodic: bool) -> None:
    """Run the queue's consumer: the jobs the web workers queue, and the periodic ones."""
    import logging

    from flask import current_app

    from tracker.jobs import queue
    from tracker.notifications import jobs as notification_jobs

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    app = current_app._get_current_object()
    queue.bind(app)
    # What a killed consumer left half done goes first (what waited in the queue while no
    # consumer ran is still there).
    found = notification_jobs.sweep_now()
    queue.mark_dead_runs()  # the runs of a consumer of this machine that was killed
    db.session.commit()
    db.session.remove()
    click.echo(f"任务队列消费者启动（{workers} 个线程）；待发送消息 {found} 条已排队。")
    consumer = queue.huey.create_consumer(workers=workers, worker_type="thread",
                                          periodic=not no_periodic, check_worker_health=True)
    consumer.run()


@jobs_group.command("run")
@with_appcontext
def jobs_run() -> None:
    """Run what is on the queue now, in this process, and exit (without a consumer)."""
    from flask import current_app

    from tracker.jobs import queue

    queue.bind(current_app._get_current_object())
    click.echo(f"已运行 {queue.run_pending()} 个任务。")


@jobs_group.command("status")
@with_appcontext
def jobs_status() -> None:
    """Queue depth, failures, and the last run of each periodic job."""
    from tracker.admin import job_status as status

    report = status.report()
    click.echo(f"排队 {report.pending} 个，定时 {report.scheduled} 个，未处理的失败："
               f"任务 {len(report.failed_runs)} 个、消息 {len(report.failed_messages)} 条。")
    for row in report.periodic:
        last = row.last.started_at.isoformat(" ", "seconds") if row.last else "从未运行"
        click.echo(f"  {row.label}（{row.when}）：{last}")
