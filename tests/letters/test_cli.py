"""``flask letters render INPUT.json OUTPUT.pdf``."""
from __future__ import annotations

import json

import pytest
from flask import Flask

from tracker.letters.cli import letters_group
from tracker.letters.samples import sample_letter


@pytest.fixture
def runner():
    app = Flask("letters-cli-test")
    app.cli.add_command(letters_group)
    return app.test_cli_runner()


def test_render_writes_the_pdf(runner, tmp_path):
    source, target = tmp_path / "in.json", tmp_path / "out.pdf"
    source.write_text(json.dumps(sample_letter(1), ensure_ascii=False), encoding="utf-8")
    result = runner.invoke(args=["letters", "render", str(source), str(target)])
    assert result.exit_code == 0, result.output
    assert "已生成" in result.output
    assert target.read_bytes().startswith(b"%PDF-")


def test_invalid_input_prints_the_error_and_fails(runner, tmp_path):
    source, target = tmp_path / "in.json", tmp_path / "out.pdf"
    source.write_text(json.dumps(sample_letter(1, doc_number="吉卫复议字(2026)12号"),
                                 ensure_ascii=False), encoding="utf-8")
    result = runner.invoke(args=["letters", "render", str(source), str(target)])
    assert result.exit_code == 1
    assert "文号（doc_number）" in result.output
    assert not target.exists()


def test_unreadable_input_fails(runner, tmp_path):
    source = tmp_path / "in.json"
    source.write_text("{not json", encoding="utf-8")
    result = runner.invoke(args=["letters", "render", str(source), str(tmp_path / "o.pdf")])
    assert result.exit_code == 2
    assert "错误" in result.output
