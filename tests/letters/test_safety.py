"""A hostile body fetches nothing; the fetcher refuses anything but the letter's assets."""
from __future__ import annotations

import io
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from pypdf import PdfReader

from tests.support.letters import render
from tracker.letters import LetterRenderTimeout, render_letter
from tracker.letters.fetcher import FetchRefused, LetterFetcher
from tracker.letters.samples import sample_letter


@pytest.fixture
def loopback():
    """An HTTP server on 127.0.0.1 that counts every request it gets."""
    hits = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802
            hits.append(self.path)
            self.send_response(200)
            self.send_header("Content-Type", "text/css")
            self.end_headers()
            self.wfile.write(b"body { color: red }")

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[1], hits
    server.shutdown()
    server.server_close()


def test_hostile_body_prints_as_text_and_fetches_nothing(loopback):
    port, hits = loopback
    base = f"http://127.0.0.1:{port}"
    hostile = [
        f'<img src="{base}/img">',
        "<link rel=attachment href=file:///etc/passwd>",
        f"<link rel=stylesheet href={base}/css>",
        f"<style>@import url({base}/import);</style>",
        f"详见{base}/page",
    ]
    data = sample_letter(1, body="\n".join(hostile), title=f'<img src="{base}/title">',
                         closing=f'<object data="{base}/obj"></object>',
                         proposers=[f'<iframe src="{base}/x">'])
    r = render(data)
    text = r.text.replace("\n", "")
    for line in hostile:
        assert line in text
    assert "root:" not in text
    assert hits == []
    reader = PdfReader(io.BytesIO(r.pdf))
    assert not reader.attachments
    assert "/EmbeddedFiles" not in str(reader.trailer["/Root"].get("/Names", {}))
    assert r.images == []


def test_fetcher_refuses_everything_but_its_assets(loopback):
    port, hits = loopback
    fetcher = LetterFetcher()
    url = fetcher.add("seal/x", b"\x89PNG", "image/png")
    assert fetcher.fetch(url).read() == b"\x89PNG"
    for bad in (f"http://127.0.0.1:{port}/a", f"https://127.0.0.1:{port}/a", "file:///etc/passwd",
                "data:text/css,body{}", "tracker-asset:font/../../etc/passwd", "ftp://x/y"):
        with pytest.raises(FetchRefused):
            fetcher.fetch(bad)
        with pytest.raises(FetchRefused):
            fetcher(bad)
    assert hits == []
    assert len(fetcher.refused) == 12


def test_render_has_a_time_limit_in_the_main_thread():
    with pytest.raises(LetterRenderTimeout):
        render_letter(sample_letter(8), timeout=0.005)
    # The alarm is cleared afterwards: a normal render still works.
    assert render_letter(sample_letter(1)).startswith(b"%PDF-")


def test_render_outside_the_main_thread_uses_a_worker_process():
    results = {}

    def run():
        try:
            results["pdf"] = render_letter(sample_letter(1), timeout=60)
            render_letter(sample_letter(8), timeout=0.01)
        except LetterRenderTimeout as exc:
            results["timeout"] = exc
        except Exception as exc:  # pragma: no cover - reported below
            results["error"] = exc

    thread = threading.Thread(target=run)
    thread.start()
    thread.join(120)
    assert "error" not in results, results.get("error")
    assert results["pdf"].startswith(b"%PDF-")
    assert isinstance(results.get("timeout"), LetterRenderTimeout)


def test_missing_harfbuzz_subsetter_is_reported_loudly(monkeypatch):
    import ctypes

    from tracker.letters import check_harfbuzz_subset

    assert check_harfbuzz_subset() is True  # Debian's libharfbuzz-subset0 is installed here

    def missing(*args, **kwargs):
        raise OSError("not found")

    monkeypatch.setattr(ctypes, "CDLL", missing)
    with pytest.warns(RuntimeWarning, match="libharfbuzz-subset0"):
        assert check_harfbuzz_subset() is False
