"""A process's first reply letter against the next ones, with and without the warm-up that
gunicorn's workers run at start (gunicorn.conf.py, post_worker_init).

Each case runs in a fresh process, as a new gunicorn worker is: build the app, optionally warm
up, then render and sign three letters like 发文's (signature block, verification line, a demo
unit key), timing each. Run: .venv/bin/python bench/first_letter.py [--rounds 3]
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

CHILD = r"""
import json, os, sys, time
sys.path.insert(0, sys.argv[1])

def cpu():
    t = os.times()  # this process and its finished children (fc-list)
    return t.user + t.system + t.children_user + t.children_system

warm = sys.argv[2] == "warm"
t0 = time.perf_counter()
from tracker import create_app
app = create_app()
built = time.perf_counter() - t0
with app.app_context():
    from tracker.letters.samples import sample_letter
    from tracker.replies.letter import render, sign
    from tracker.signing import democa
    from tracker.signing.keys import UnitKey, subject_name
    from pyhanko.sign import signers
    from cryptography.hazmat.primitives.serialization import pkcs12
    warmed = None
    if warm:
        from tracker.letters.warm import warm_up
        warmed = warm_up()
    # A unit key as the demo CA makes them (kept out of the timing).
    ca = democa.ensure_ca()
    p12 = democa.unit_p12(ca, "测试单位", "pw")
    key = UnitKey(signer=signers.SimpleSigner.load_pkcs12_data(p12, other_certs=[],
                                                               passphrase=b"pw"),
                  seal_png=democa.draw_seal("测试单位"),
                  subject=subject_name(pkcs12.load_pkcs12(p12, b"pw").cert.certificate),
                  not_after=None)
    times, cpus = [], []
    for n in range(3):
        data = sample_letter(2, doc_number=f"吉测复议字〔2026〕{n + 1}号")
        data["signature"] = True
        data["verification"] = {"code": "ABCD-EFGH-JKLM-NPQR",
                                "url": "https://tracker.example.gov.cn/verify/ABCDEFGHJKLMNPQR"}
        t, c = time.perf_counter(), cpu()
        sign(*render(data), key)
        times.append(time.perf_counter() - t)
        cpus.append(cpu() - c)
print(json.dumps({"app": built, "warm_up": warmed, "letters": times, "cpu": cpus}))
"""


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    results: dict[str, list[dict]] = {"cold": [], "warm": []}
    with tempfile.TemporaryDirectory() as instance:
        env = {**os.environ, "TRACKER_ENV": "development", "TRACKER_INSTANCE_DIR": instance,
               "TRACKER_DATABASE_URL": f"sqlite:///{instance}/bench.db"}
        if (ROOT / "instance" / "fonts").is_dir():
            env["TRACKER_LETTER_FONTS_DIR"] = str(ROOT / "instance" / "fonts")
        for _ in range(args.rounds):
            for case in ("cold", "warm"):
                out = subprocess.run([sys.executable, "-c", CHILD, str(ROOT), case], env=env,
                                     capture_output=True, text=True, check=True, cwd=ROOT)
                results[case].append(json.loads(out.stdout.strip().splitlines()[-1]))
    print(f"render + sign of a 2-page letter, ms, median of {args.rounds} fresh processes "
          "(wall clock / CPU of the process and its children)")
    print(f"{'':6}{'warm-up':>10}{'1st letter':>14}{'2nd':>12}{'3rd':>12}")
    for case, runs in results.items():
        wall = [statistics.median(r["letters"][i] for r in runs) * 1000 for i in range(3)]
        cpu = [statistics.median(r["cpu"][i] for r in runs) * 1000 for i in range(3)]
        warm = statistics.median(r["warm_up"] for r in runs) * 1000 if case == "warm" else None
        print(f"{case:6}{'-' if warm is None else f'{warm:.0f}':>10}"
              + "".join(f"{f'{w:.0f} / {c:.0f}':>{14 if i == 0 else 12}}"
                        for i, (w, c) in enumerate(zip(wall, cpu))))
    print("load average:", Path("/proc/loadavg").read_text().split()[:3])


if __name__ == "__main__":
    main()
