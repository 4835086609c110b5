"""Render a reply letter to PDF with WeasyPrint: trusted template, one fetcher, a time limit."""
from __future__ import annotations

import hashlib
import logging
import multiprocessing
import signal
import threading
import time
from contextlib import contextmanager
from pathlib import Path

import jinja2

from tracker.letters import fonts as letter_fonts
from tracker.letters.compose import compose, split_heading
from tracker.letters.fetcher import LetterFetcher
from tracker.letters.inputs import DEFAULT_RESULT_CLASSES, Letter, parse

log = logging.getLogger(__name__)

PROJECT_ROOT = Path(__file__).resolve().parents[2]
TEMPLATES = PROJECT_ROOT / "templates" / "letters"
STYLESHEET = PROJECT_ROOT / "static" / "letters" / "letter.css"
DEFAULT_TIMEOUT = 30.0
BODY_PT, SPACING_PT, LINE_PT = 16.0, -0.22, 28.98
MM = 72 / 25.4
TEXT_WIDTH_PT = 156 * MM
SEAL_MM = 42.0

ROLE_SELECTORS = {
    "body": "body",
    "title": ".title-font",
    "heading1": ".heading1-font",
    "heading2": ".heading2-font",
}


class LetterRenderTimeout(RuntimeError):
    """Rendering took longer than the time limit."""


_env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(TEMPLATES)), autoescape=True,
                          undefined=jinja2.StrictUndefined, trim_blocks=False)
_lock = threading.RLock()
_state: dict = {}


def _role_texts(letter: Letter) -> dict[str, str]:
    heads = [split_heading(p) for p in letter.body]
    body = "".join([letter.salutation, letter.opening, letter.closing or "", letter.unit,
                    letter.date, letter.contact or "", letter.cc or "", letter.reviewers or "",
                    letter.doc_number or "", letter.disclosure or "", "签发人：—0123456789",
                    letter.watermark or "", *letter.verification_lines]
                   + [rest for _, rest in heads]
                   + [h for p, (h, _) in zip(letter.body, heads) if p.level > 2])
    return {
        "body": body,
        "title": letter.title + (letter.letterhead or ""),
        "heading1": "".join(h for p, (h, _) in zip(letter.body, heads) if p.level == 1)
        + (letter.result_class or ""),
        "heading2": "".join(h for p, (h, _) in zip(letter.body, heads) if p.level == 2)
        + (letter.signer or ""),
        "digits": "— 0123456789",
    }


def _fonts_css(chosen: dict[str, letter_fonts.RoleFonts], fetcher: LetterFetcher) -> str:
    faces_css, rules = [], []
    for role, fonts in chosen.items():
        families = []
        for face in fonts.faces:
            if face.installed:
                families.append(f'"{face.family}"')
                continue
            stem = "".join(c for c in Path(face.path).stem if c.isascii() and c.isalnum())
            key = f"{stem}{face.index or ''}"
            alias = f"Letter{key}"
            url = fetcher.add(f"font/{key}", Path(face.path), "font/otf")
            faces_css.append(f'@font-face {{ font-family: "{alias}"; src: url("{url}"); }}')
            families.append(f'"{alias}"')
        weight = fonts.faces[0].weight
        if role == "digits":
            for side in ("left", "right"):
                rules.append(f"@page :{side} {{ @bottom-{side} {{ font-family: "
                             f"{', '.join(families)}; }} }}")
            continue
        rules.append(f"{ROLE_SELECTORS[role]} {{ font-family: {', '.join(families)}; "
                     f"font-weight: {weight}; }}")
    return "\n".join(dict.fromkeys(faces_css)) + "\n" + "\n".join(rules)


def _layout(letter: Letter, chosen) -> dict:
    """Positions the CSS cannot derive itself: signature block paddings, seal, letterhead."""
    body = chosen["body"].faces[0]
    date_w = letter_fonts.advance(body, letter.date, BODY_PT, SPACING_PT)
    unit_w = letter_fonts.advance(body, letter.unit, BODY_PT, SPACING_PT)
    em = BODY_PT
    layout: dict = {}
    if letter.seal or letter.signature:
        # Date 4 characters in from the right; unit name centred over the date.
        layout["date_pad"] = 4 * em
        centre_from_right = 4 * em + date_w / 2
        layout["unit_pad"] = max(0.0, centre_from_right - unit_w / 2)
        seal_pt = SEAL_MM * MM
        # Centred on the date and the unit name; its height is set by compose._seal_box.
        layout["seal_left"] = TEXT_WIDTH_PT - centre_from_right - seal_pt / 2
    else:
        # GB/T 9704 7.3.5.2: unit 2 characters in; the date starts 2 characters further right;
        # a date longer than that allows keeps 2 characters in and the unit moves left.
        layout["unit_pad"] = 2 * em
        layout["date_pad"] = 2 * em + unit_w - 2 * em - date_w
        if layout["date_pad"] < 2 * em:
            layout["date_pad"] = 2 * em
            layout["unit_pad"] = 2 * em + date_w + 2 * em - unit_w
    if letter.letterhead:
        n = len(letter.letterhead)
        size = min(36.0, 160 * MM / max(n, 1) / 1.1)
        layout["letterhead_size"] = round(size, 2)
        layout["rule_top"] = round(-7 + size / MM + 4, 2)
    return layout


def qr_path(url: str) -> tuple[int, str]:
    """The QR code of ``url`` as an SVG path of its dark modules (size in modules, path)."""
    import segno

    code = segno.make(url, error="m", micro=False)
    runs = []
    for y, row in enumerate(code.matrix):
        x = 0
        while x < len(row):
            if row[x]:
                start = x
                while x < len(row) and row[x]:
                    x += 1
                runs.append(f"M{start} {y}h{x - start}v1h-{x - start}z")
            else:
                x += 1
    return len(code.matrix), "".join(runs)


def _seal_box(document) -> dict | None:
    """Where the signature's seal goes: the page and its rectangle in PDF points."""
    for index, page in enumerate(document.pages):
        if "seal-box" in page.anchors:
            x1, y1, x2, y2 = page.anchors["seal-box"]
            scale = 0.75  # CSS px -> pt
            height = page.height * scale
            return {"page": index, "rect": [round(x1 * scale, 2), round(height - y2 * scale, 2),
                                            round(x2 * scale, 2), round(height - y1 * scale, 2)]}
    return None


def _stylesheets(signature, chosen, fetcher, font_config):
    """Parsed CSS reused across renders with the same fonts (parsing loads the fonts)."""
    from weasyprint import CSS

    cache = _state.setdefault("css", {})
    if signature not in cache:
        base = CSS(string=STYLESHEET.read_text(encoding="utf-8"), url_fetcher=fetcher,
                   font_config=font_config, base_url="tracker-asset:letter.css")
        face_css = CSS(string=_fonts_css(chosen, fetcher), url_fetcher=fetcher,
                       font_config=font_config, base_url="tracker-asset:fonts.css")
        cache[signature] = (base, face_css)
    return cache[signature]


def _font_config():
    from weasyprint.text.fonts import FontConfiguration

    if "font_config" not in _state:
        _state["font_config"] = FontConfiguration()
        _state["fetcher"] = LetterFetcher()
    return _state["font_config"], _state["fetcher"]


def _result_classes():
    from tracker.letters.fonts import _app_config

    # The app's configured set, parsed once by tracker.config (no app: the default A/B/C).
    return tuple(_app_config("RESULT_CLASS_MAP") or DEFAULT_RESULT_CLASSES)


def render_unlimited(data: dict) -> tuple[bytes, dict]:
    """Render without a time limit (callers use :func:`render_with_limit`)."""
    from weasyprint import HTML

    started = time.perf_counter()
    letter = parse(data, _result_classes())
    with _lock:
        font_config, fetcher = _font_config()
        chosen, warnings = letter_fonts.choose(_role_texts(letter))
        signature = tuple((role, tuple(f.faces)) for role, f in chosen.items())
        base_css, face_css = _stylesheets(signature, chosen, fetcher, font_config)
        extra = []
        if letter.letterhead:
            extra.append("@page :first { @bottom-right { content: none; } }")
        seal_url = None
        if letter.seal:
            seal_url = fetcher.add(f"seal/{hashlib.sha256(letter.seal).hexdigest()[:16]}",
                                   letter.seal, "image/png")
        qr = qr_path(letter.verification[1]) if letter.verification else None
        layout = _layout(letter, chosen)
        composed = compose(letter, chosen, layout, seal_url, qr)
        html = _env.get_template("letter.html").render(
            letter=letter, layout=layout, composed=composed, seal_url=seal_url)
        refused_before = len(fetcher.refused)
        from weasyprint import CSS
        sheets = [base_css, face_css]
        if extra:
            sheets.append(CSS(string="\n".join(extra), url_fetcher=fetcher,
                              font_config=font_config, base_url="tracker-asset:extra.css"))
        page = HTML(string=html, url_fetcher=fetcher, base_url="tracker-asset:letter.html")
        document = page.render(stylesheets=sheets, font_config=font_config)
        pdf = document.write_pdf()
        refused = fetcher.refused[refused_before:]
        del fetcher.refused[:]
    for url in refused:
        warnings.append(f"拒绝获取外部资源：{url[:200]}")
    report = {
        "warnings": warnings,
        "fonts": {role: [f.label for f in fonts.faces] for role, fonts in chosen.items()},
        "pages": len(document.pages),
        "refused": refused,
        "seconds": round(time.perf_counter() - started, 3),
        "seal_box": _seal_box(document) if letter.signature else None,
        "adjustments": composed.layout.notes,
        "planned_pages": len(composed.layout.pages),
    }
    return pdf, report


@contextmanager
def _alarm(seconds: float):
    """Raise LetterRenderTimeout in the main thread after ``seconds`` (SIGALRM)."""
    message = f"生成答复函超时（超过 {seconds:g} 秒）"
    fired = []

    def expire(signum, frame):
        fired.append(True)
        raise LetterRenderTimeout(message)

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
    if fired:
        # The exception raised by the handler can be swallowed by a broad `except` inside
        # the renderer (or a C callback); the limit still holds.
        raise LetterRenderTimeout(message)


def _worker_main(conn) -> None:
    while True:
        try:
            data = conn.recv()
        except EOFError:
            return
        import os
        folder = data.pop("_fonts_dir", None)
        prefs = data.pop("_font_prefs", None)
        if folder:
            os.environ["TRACKER_LETTER_FONTS_DIR"] = folder
        if prefs:
            letter_fonts.DEFAULT_FONTS.update(prefs)
        try:
            conn.send(("ok", render_unlimited(data)))
        except BaseException as exc:  # noqa: BLE001 - the parent re-raises it
            conn.send(("error", exc))


class _Worker:
    """A long-lived render process, killed and replaced when a render overruns."""

    def __init__(self):
        self.process = None
        self.conn = None
        self.lock = threading.Lock()

    def render(self, data: dict, seconds: float) -> tuple[bytes, dict]:
        with self.lock:
            if self.process is None or not self.process.is_alive():
                ctx = multiprocessing.get_context("spawn")
                self.conn, child = ctx.Pipe()
                self.process = ctx.Process(target=_worker_main, args=(child,), daemon=True,
                                           name="letter-renderer")
                self.process.start()
                child.close()
            self.conn.send(data)
            if not self.conn.poll(seconds):
                self.process.kill()
                self.process.join()
                self.process = None
                raise LetterRenderTimeout(f"生成答复函超时（超过 {seconds:g} 秒）")
            status, value = self.conn.recv()
        if status == "error":
            raise value
        return value


_worker = _Worker()


def render_with_limit(data: dict, timeout: float | None = None) -> tuple[bytes, dict]:
    """Render with a time limit: SIGALRM in the main thread, else a separate process.

    The main thread (CLI, gunicorn sync workers, tests) gets a cheap interval timer. Other
    threads (Flask's threaded dev server) cannot receive signals, so they hand the render to
    a long-lived worker process that is killed when the limit passes.
    """
    from tracker.letters.fonts import _app_config

    seconds = float(timeout or _app_config("LETTER_RENDER_TIMEOUT") or DEFAULT_TIMEOUT)
    if threading.current_thread() is threading.main_thread() and hasattr(signal, "setitimer"):
        with _alarm(seconds):
            return render_unlimited(data)
    return _worker.render(_plain(data), seconds)


def _plain(data: dict) -> dict:
    """The input without app-bound values, ready for the worker process (fonts via env)."""
    from tracker.letters.fonts import fonts_dir, preferences

    plain = dict(data)
    plain["_font_prefs"] = preferences()
    seal = plain.get("seal")
    if isinstance(seal, Path):
        plain["seal"] = str(seal)
    plain.setdefault("_fonts_dir", str(fonts_dir()))
    return plain
