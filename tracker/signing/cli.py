"""``flask letters demo-ca`` and ``flask letters verify``: the signing commands, in the
letters group beside ``render`` (added to it when this module is imported)."""
from __future__ import annotations

from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import select

from tracker.accounts.models import Unit
from tracker.extensions import db
from tracker.letters.cli import letters_group
from tracker.signing import democa
from tracker.signing.service import verify_file


@letters_group.command("demo-ca")
@click.option("--all", "all_units", is_flag=True,
              help="Replace the keys of every unit, not only of units without one.")
@with_appcontext
def demo_ca_command(all_units: bool) -> None:
    """Create a throw-away CA and a certificate + seal for each unit (demo and tests only)."""
    if current_app.config["ENV"] == "production":
        click.echo("错误：生产模式不能使用演示证书，请为各单位上传正式证书。", err=True)
        raise SystemExit(1)
    ca = democa.ensure_ca()
    done = []
    for unit in db.session.scalars(select(Unit).order_by(Unit.id)):
        if all_units or not unit.sign_p12_name:
            democa.provision(unit, ca)
            done.append(unit.name)
    db.session.commit()
    click.echo(f"演示根证书：{current_app.config['SIGNING_DIR']}/trust/demo-ca.pem")
    click.echo(f"已为 {len(done)} 个单位生成演示证书和印章" + (f"：{'、'.join(done)}" if done else "。"))


@letters_group.command("verify")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@with_appcontext
def verify_command(path: str) -> None:
    """Check a signed letter: signer, time, integrity, coverage, trust, issued here.

    Exits 0 only when every check holds.
    """
    result, reply = verify_file(Path(path).read_bytes())
    if result.signer:
        click.echo(f"签名人：{result.signer}")
    if result.signed_at:
        click.echo(f"签名时间：{result.signed_at:%Y-%m-%d %H:%M:%S}（北京时间）")
    if reply is not None:
        click.echo(f"答复函：{reply.doc_number}")
    for check in result.checks:
        click.echo(f"{'✓' if check.ok else '✗'} {check.label}：{check.text}")
    click.echo(result.summary)
    raise SystemExit(0 if result.ok else 1)
