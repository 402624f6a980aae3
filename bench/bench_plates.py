"""Plates (issue 13): accuracy on the shared labelled photos and latency per image, against baselines in one run.

Run: .venv/bin/python bench/bench_plates.py [--rounds 3]
- Anju's reader (anju.vision.plates: HyperLPR v2 SSD detector, corner refinement, segmentation-free CTC
  recogniser; every box read, overlapping boxes merged, plate grammar and a confidence floor, tight crops padded).
- Baseline "hyperlpr2 wrapper": the same nets as HyperLPR v2's own LPR.plate_recognition uses them (the first
  detection only, no grammar, no confidence floor, no tight-crop retry), re-created here without importing the
  package (its import loads the models and breaks on OpenCV 5).
- Baseline "decode": decoding the photo alone (the floor every reader pays).
Targets (issue 13): plates >= 14/15 exact; CCPD x/21 reported and 0 plates on the 6 `noplate` photos; median
<= 150 ms, p99 <= 1 s. The machine is shared: ratios are measured in the same run.
"""

from __future__ import annotations

import argparse
import csv
import os
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))

import numpy as np

from anju.vision import plates as P

DATA = Path(os.environ.get("ANJU_PLATES_DIR", Path(__file__).resolve().parents[2] / "shared" / "data"))


def labelled() -> list[tuple[str, str, list[str], str]]:
    """(set, file, expected plates, confidence) for every labelled photo."""
    out = []
    for folder in ("plates", "plates_ccpd"):
        with open(DATA / folder / "labels.csv", encoding="utf-8") as fh:
            for r in csv.DictReader(fh):
                conf = r.get("confidence") or "sure"
                out.append((folder, r["file"], [p for p in r["plates"].split(";") if p], conf))
    return out


def wrapper_read(pipe: P.PlatePipeline, bgr: np.ndarray) -> list[str]:
    """HyperLPR v2's own pipeline: its detect_ssd returns inside the loop, so only the first box is read."""
    found = pipe._detect(bgr)
    if not found:
        return []
    text, _conf, _plate = pipe._read_box(bgr, found[0][1])
    return [text] if text else []


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    rows = labelled()
    blobs = {(s, f): (DATA / s / f).read_bytes() for s, f, _, _ in rows}
    pipe = P.pipeline()
    P.read_plates(blobs[rows[0][0], rows[0][1]])  # warm up

    readers = {
        "anju": lambda b: [r.text for r in pipe.read(P.load_image(b))],
        "hyperlpr2 wrapper": lambda b: wrapper_read(pipe, P.load_image(b)),
        "decode": lambda b: (P.load_image(b), [])[1],
    }
    times: dict[str, list[float]] = {k: [] for k in readers}
    results: dict[str, dict[tuple[str, str], list[str]]] = {k: {} for k in readers}
    for _ in range(args.rounds):
        for name, fn in readers.items():
            for s, f, _, _ in rows:
                t = time.perf_counter()
                got = fn(blobs[s, f])
                times[name].append(time.perf_counter() - t)
                results[name][s, f] = got

    print(f"{len(rows)} labelled photos, {args.rounds} rounds, OpenCV DNN on CPU ({os.cpu_count()} cores, shared)")
    for name in ("anju", "hyperlpr2 wrapper"):
        res = results[name]
        shared = [(s, f, want) for s, f, want, _ in rows if s == "plates"]
        n_shared = sum(len(w) for _, _, w in shared)
        ok_shared = sum(sum(1 for p in w if p in res[s, f]) for s, f, w in shared)
        sure = [(s, f, w) for s, f, w, c in rows if s == "plates_ccpd" and c == "sure"]
        ok_sure = sum(1 for s, f, w in sure if res[s, f] == w)
        noplate = [(s, f) for s, f, _, c in rows if c == "noplate"]
        invented = sum(len(res[k]) for k in noplate)
        extra = sum(max(len(res[s, f]) - len(w), 0) for s, f, w, c in rows if c == "sure")
        print(
            f"  {name:18s} shared plates {ok_shared}/{n_shared} exact | CCPD sure {ok_sure}/{len(sure)} exact | "
            f"plates on {len(noplate)} noplate photos: {invented} | extra plates on labelled photos: {extra}"
        )
    base = statistics.median(times["decode"])
    for name, ts in times.items():
        ms = [t * 1000 for t in ts]
        med = statistics.median(ms)
        print(
            f"  {name:18s} median {med:7.1f} ms  p99 {float(np.percentile(ms, 99)):7.1f} ms  "
            f"max {max(ms):7.1f} ms  x{med / (base * 1000):5.1f} of decode"
        )
    print("misses of anju:")
    for s, f, want, c in rows:
        got = results["anju"][s, f]
        if (c != "noplate" and sorted(got) != sorted(want)) or (c == "noplate" and got):
            print(f"  {s}/{f}: want {want} got {got}")


if __name__ == "__main__":
    main()
