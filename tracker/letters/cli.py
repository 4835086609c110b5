"""``flask letters render INPUT.json OUTPUT.pdf``: the renderer from the command line."""
from __future__ import annotations

import json
from pathlib import Path

import click
from flask import Flask
from flask.cli import AppGroup

letters_group = AppGroup("letters", help="Reply letters (答复函) as PDF.")


def register_cli(app: Flask) -> None:
    app.cli.add_command(letters_group)


@letters_group.command("render")
@click.argument("input_path", type=click.Path(dir_okay=False, allow_dash=True))
@click.argument("output_path", type=click.Path(dir_okay=False, writable=True))
@click.option("--timeout", type=float, default=None, help="Time limit in seconds.")
def render_command(input_path: str, output_path: str, timeout: float | None) -> None:
    """Render the letter described by INPUT.json (see issue 4) to OUTPUT.pdf."""
    from tracker.letters import (
        LetterInputError,
        LetterRenderTimeout,
        check_harfbuzz_subset,
        render_letter_report,
    )

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
