"""`make bench`: warm render times of a 3-page and an 8-page letter, the time signing adds
to issuing a letter (PAdES with the seal, pyHanko) and verifying one, real text (punctuation
normalised, lines broken and paginated, rendered, exported to .docx, imported from Word), and
a 200-letter batch.

Targets (LETTER.md): median ≤ 250 ms (3 pages) and ≤ 400 ms (8 pages), warm.
"""
from __future__ import annotations

import multiprocessing
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tracker.letters import check_harfbuzz_subset, render_letter_report  # noqa: E402
from tracker.letters.render import render_unlimited  # noqa: E402
from tracker.letters.samples import sample_letter  # noqa: E402

RUNS = int(os.environ.get("BENCH_RUNS", 9))
BATCH = int(os.environ.get("BENCH_BATCH", 200))
TARGETS = {3: 0.250, 8: 0.400}


def median_time(pages: int) -> tuple[float, int]:
    data = sample_letter(pages)
    _, report = render_letter_report(data)  # warm: fonts loaded, CSS parsed
    times = []
    for _ in range(RUNS):
        started = time.perf_counter()
        render_letter_report(data)
        times.append(time.perf_counter() - started)
    return statistics.median(times), report["pages"]


def signing_times() -> tuple[float, float, float, float]:
    """Medians (s): render, render + sign (what issuing costs), sign alone, verify."""
    import tempfile

    from pyhanko.sign import signers

    from tracker.signing import democa
    from tracker.signing.keys import UnitKey
    from tracker.signing.pdf import inspect, sign_letter

    with tempfile.TemporaryDirectory() as folder:
        ca = democa.ensure_ca(Path(folder))
    p12 = democa.unit_p12(ca, "吉林省卫生健康委员会", "bench")
    key = UnitKey(signer=signers.SimpleSigner.load_pkcs12_data(p12, [], b"bench"),
                  seal_png=democa.draw_seal("吉林省卫生健康委员会"), subject="吉林省卫生健康委员会",
                  not_after=None)
    from asn1crypto import x509 as asn1_x509
    from cryptography.hazmat.primitives.serialization import Encoding

    roots = [asn1_x509.Certificate.load(ca[1].public_bytes(Encoding.DER))]
    data = sample_letter(3, signature=True,
                         verification={"code": "K7QM-4XDP-9HTA-2WVB",
                                       "url": "http://127.0.0.1:5000/verify/K7QM4XDP9HTA2WVB"})
    pdf, report = render_letter_report(data)
    signed = sign_letter(pdf, key, report["seal_box"])  # warm
    assert inspect(signed, roots).ok
    render, issue, sign, verify = [], [], [], []
    for _ in range(RUNS):
        started = time.perf_counter()
        pdf, report = render_letter_report(data)
        rendered = time.perf_counter()
        signed = sign_letter(pdf, key, report["seal_box"])
        done = time.perf_counter()
        inspect(signed, roots)
        render.append(rendered - started)
        issue.append(done - started)
        sign.append(done - rendered)
        verify.append(time.perf_counter() - done)
    return tuple(statistics.median(x) for x in (render, issue, sign, verify))


def _median(fn, runs: int = RUNS) -> tuple[float, float]:
    """Median wall and CPU seconds of fn() (warm: one call first)."""
    fn()
    wall, cpu = [], []
    for _ in range(runs):
        started, cpu_started = time.perf_counter(), time.process_time()
        fn()
        wall.append(time.perf_counter() - started)
        cpu.append(time.process_time() - cpu_started)
    return statistics.median(wall), statistics.median(cpu)


def real_letter_times() -> list[str]:
    """Real text (half-width punctuation pasted from the published samples, decimals, times,
    URLs): normalisation, line breaking and pagination, the whole render, Word in and out."""
    import io

    import docx

    from tracker.letters import fonts as letter_fonts
    from tracker.letters.compose import compose
    from tracker.letters.docx_export import letter_docx
    from tracker.letters.inputs import parse
    from tracker.letters.render import _layout, _role_texts
    from tracker.replies.docx_letter import read_letter
    from tracker.replies.punctuation import normalize

    samples = Path(__file__).resolve().parents[1] / "tests" / "data" / "samples"
    raw = (samples / "plan-jiaohe-2023.txt").read_text(encoding="utf-8")
    lines = [line.strip() for line in raw.splitlines()[18:60] if len(line.strip()) > 20]
    pasted = "\n".join(lines)
    body, changes = normalize(pasted)
    data = sample_letter(1, body=body, signature=True)
    letter = parse(data)
    chosen, _ = letter_fonts.choose(_role_texts(letter))
    out = []
    wall, cpu = _median(lambda: normalize(pasted))
    out.append(f"punctuation normalisation of {len(pasted):,} characters ({len(changes)} "
               f"changes): median {wall * 1000:.1f} ms, CPU {cpu * 1000:.1f} ms")
    layout = _layout(letter, chosen)
    composed = compose(letter, chosen, layout, None, None)
    wall, cpu = _median(lambda: compose(letter, chosen, layout, None, None))
    out.append(f"line breaking + pagination of that letter ({len(composed.layout.pages)} pages): "
               f"median {wall * 1000:.1f} ms, CPU {cpu * 1000:.1f} ms")
    wall, cpu = _median(lambda: render_letter_report(data))
    out.append(f"whole render of that letter: median {wall * 1000:.0f} ms, CPU {cpu * 1000:.0f} ms")
    exported = letter_docx(letter)
    wall, cpu = _median(lambda: letter_docx(letter))
    out.append(f".docx export of that letter ({len(exported) // 1024} KB): median "
               f"{wall * 1000:.0f} ms, CPU {cpu * 1000:.0f} ms")
    document = docx.Document()
    for text in ["A", "吉卫复议字〔2026〕12号", "对省十四届人大三次会议第0040号代表建议的答复", "李华代表：",
                 "您在省十四届人大三次会议上提出的《关于加强基层卫生人才队伍建设的建议》收悉。现答复如下：",
                 *lines, "感谢您对卫生健康工作的关心和支持。", "吉林省卫生健康委员会", "2026年6月18日",
                 "（联系人：刘洋　电话：0431-88900000）", "抄送：省政府办公厅。"]:
        document.add_paragraph(text)
    buffer = io.BytesIO()
    document.save(buffer)
    typed = buffer.getvalue()
    wall, cpu = _median(lambda: read_letter(typed))
    out.append(f"Word import of a whole letter ({len(typed) // 1024} KB, {len(lines) + 10} "
               f"paragraphs): median {wall * 1000:.0f} ms, CPU {cpu * 1000:.0f} ms")
    return out


def compare_times() -> list[str]:
    """Comparing two drafts (issue 14): the worst pairs the 60,000-character form allows."""
    from tests.replies.test_compare_bounds import WORST
    from tracker.replies.queries import side_by_side

    out = []
    for name, (old, new) in WORST.items():
        wall, cpu = _median(lambda old=old, new=new: side_by_side(old, new, "旧稿", "新稿"), runs=3)
        out.append(f"draft comparison, {name}: median {wall * 1000:.0f} ms, "
                   f"CPU {cpu * 1000:.0f} ms")
    return out


def _render_one(i: int) -> int:
    pdf, _ = render_unlimited(sample_letter(3 if i % 2 else 8, number=str(100 + i)))
    return len(pdf)


def batch(processes: int) -> float:
    ctx = multiprocessing.get_context("fork")
    started = time.perf_counter()
    with ctx.Pool(processes) as pool:
        sizes = pool.map(_render_one, range(BATCH), chunksize=4)
    assert all(sizes)
    return time.perf_counter() - started


def _spin(n: int) -> int:
    return sum(range(n))


def cpu_scaling(processes: int) -> float:
    """How much faster pure-Python work runs on ``processes`` processes than on one."""
    work = [3_000_000] * (processes * 2)
    started = time.perf_counter()
    for n in work:
        _spin(n)
    serial = time.perf_counter() - started
    with multiprocessing.get_context("fork").Pool(processes) as pool:
        started = time.perf_counter()
        pool.map(_spin, work)
        parallel = time.perf_counter() - started
    return serial / parallel


def main() -> int:
    subset = check_harfbuzz_subset()
    print(f"HarfBuzz subsetter (libharfbuzz-subset0): {'present' if subset else 'MISSING'}")
    print(f"CPU cores: {os.cpu_count()}")
    started = time.perf_counter()
    render_letter_report(sample_letter(1))
    print(f"first (cold) render: {(time.perf_counter() - started) * 1000:.0f} ms")
    ok = True
    for pages, target in TARGETS.items():
        median, got = median_time(pages)
        verdict = "ok" if median <= target else "SLOW"
        ok &= median <= target
        print(f"{pages}-page letter ({got} pages), median of {RUNS} warm renders: "
              f"{median * 1000:.0f} ms (target ≤ {target * 1000:.0f} ms) {verdict}")
    for line in real_letter_times() + compare_times():
        print(line)
    render, issue, sign, verify = signing_times()
    print(f"signing at issue (3-page letter, ECDSA P-256 demo key, seal image), medians of "
          f"{RUNS}: render {render * 1000:.0f} ms, render + sign {issue * 1000:.0f} ms, "
          f"signing adds {sign * 1000:.0f} ms; verifying a signed letter {verify * 1000:.0f} ms")
    cores = os.cpu_count() or 1
    print(f"CPU scaling of pure-Python work on {cores} processes: {cpu_scaling(cores):.2f}x "
          "(what this machine gives to a parallel batch)")
    elapsed = batch(cores)
    print(f"batch of {BATCH} letters (3 and 8 pages alternating) on {cores} processes: "
          f"{elapsed:.1f} s, {BATCH / elapsed:.1f} letters/s")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
