"""``flask letters render INPUT.json OUTPUT.pdf``: the renderer from the command line."""
from __future__ import annotations

import json
from pathlib import Path

import click
from flask import Flask
from flask.cli import AppGroup, with_appcontext

letters_group = AppGroup("letters", help="Reply letters (答复函) as PDF.")


def register_cli(app: Flask) -> None:
    app.cli.add_command(letters_group)


@letters_group.command("render")
@click.argument("input_path", type=click.Path(dir_okay=False, allow_dash=True))
@click.argument("output_path", type=click.Path(dir_okay=False, writable=True))
@click.option("--timeout", type=float, default=None, help="Time limit in seconds.")
def render_command(input_path: str, output_path: str, timeout: float | None) -> None:
    """Render the letter described by INPUT.json (see issue 4) to OUTPUT.pdf."""
    from tracker.letters import (LetterInputError, LetterRenderTimeout, check_harfbuzz_subset,
                                 render_letter_report)

    check_harfbuzz_subset()
    try:
        with click.open_file(input_path, encoding="utf-8") as stream:
            data = json.load(stream)
    except (OSError, ValueError) as exc:
        click.echo(f"错误：无法读取 {input_path}：{exc}", err=True)
        raise SystemExit(2) from None
    try:
        pdf, report = render_letter_report(data, timeout)
    except LetterInputError as exc:
        click.echo(f"错误：{exc}", err=True)
        raise SystemExit(1) from None
    except LetterRenderTimeout as exc:
        click.echo(f"错误：{exc}", err=True)
        raise SystemExit(1) from None
    Path(output_path).write_bytes(pdf)
    for warning in report["warnings"]:
        click.echo(f"警告：{warning}", err=True)
    click.echo(f"已生成 {output_path}（{report['pages']} 页，{len(pdf)} 字节，"
               f"{report['seconds']:.2f} 秒）。")


@letters_group.command("demo-ca")
@click.option("--all", "all_units", is_flag=True,
              help="Replace the keys of every unit, not only of units without one.")
@with_appcontext
def demo_ca_command(all_units: bool) -> None:
    """Create a throw-away CA and a certificate + seal for each unit (demo and tests only)."""
    from flask import current_app
    from sqlalchemy import select

    from tracker.accounts.models import Unit
    from tracker.extensions import db
    from tracker.signing import democa

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
    from tracker.signing.service import verify_file

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
