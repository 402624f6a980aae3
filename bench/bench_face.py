"""Face (issue 12): accuracy on the shared faces side by side with dlib, image→decision latency, 1:N at 50,000.

Run: .venv/bin/python bench/bench_face.py
- Accuracy: every probe image exactly right, no `unknown` accepted, at the interior and the perimeter
  threshold; FAR/FRR over all (enrolment photo, probe face) pairs at the chosen thresholds and a sweep.
  The same for dlib (Euclidean 0.55, the old threshold) in the same run if dlib is importable: dlib is no
  longer a project dependency; `pip install dlib-bin face-recognition-models` to get the comparison.
- Latency: image → decision through the terminal endpoint (decode, detect, embed, search, policy, log),
  median and p99; and decode+detect+embed alone for SFace and for dlib on the same images.
- 1:N search at 50,000 templates: the two-stage index against a plain numpy scan (the baseline), same run.
Targets: search ≤ 2 ms at 50,000; every probe right; 0 unknowns accepted. The machine is shared: medians move with
the load of other processes, minimums show the uncontended cost; ratios are measured in the same run.
"""

from __future__ import annotations

import io
import os
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # as anju.vision sets it for the app

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from _common import fresh_demo_db


def p99(xs: list[float]) -> float:
    return float(np.percentile(np.asarray(xs), 99))


def rates(genuine: list[float], impostor: list[float], t: float, higher_is_same: bool) -> tuple[float, float]:
    g, i = np.asarray(genuine), np.asarray(impostor)
    if higher_is_same:
        return float((i >= t).mean()), float((g < t).mean())
    return float((i <= t).mean()), float((g > t).mean())


def identify_all(names, vecs, probes, accept) -> tuple[int, int, int, int, list[str]]:  # type: ignore[no-untyped-def]
    """(probe images exactly right, total, unknown faces accepted, unknown faces) and the wrong files."""
    right, unknown_ok, unknown_n, wrong = 0, 0, 0, []
    for file, expected, embeddings in probes:
        got = set()
        for e in embeddings:
            who = accept(names, vecs, e)
            got.add(who or "unknown")
            if expected == {"unknown"}:
                unknown_n += 1
                unknown_ok += who is not None
        if got == expected:
            right += 1
        else:
            wrong.append(f"{file}: {sorted(got)} (expected {sorted(expected)})")
    return right, len(probes), unknown_ok, unknown_n, wrong


# --- dlib, for the side-by-side comparison only ----------------------------------------------------------
def dlib_pipeline():  # type: ignore[no-untyped-def]
    try:
        import dlib
        import face_recognition_models as frm
    except ImportError:
        return None
    det = dlib.get_frontal_face_detector()
    shaper = dlib.shape_predictor(frm.pose_predictor_five_point_model_location())
    enc = dlib.face_recognition_model_v1(frm.face_recognition_model_location())

    def faces(data: bytes) -> list[np.ndarray]:
        from PIL import Image, ImageOps

        with Image.open(io.BytesIO(data)) as im:
            if im.format == "JPEG":
                im.draft("RGB", (800, 800))
            im.load()
            img = ImageOps.exif_transpose(im).convert("RGB")
        s = 800 / max(img.size)
        if s < 1:
            img = img.resize((round(img.width * s), round(img.height * s)), Image.Resampling.BILINEAR)
        arr = np.asarray(img)
        up = 1 if max(arr.shape[:2]) <= 640 else 0
        return [np.asarray(enc.compute_face_descriptor(arr, shaper(arr, r)), np.float32) for r in det(arr, up)]

    return faces


def main() -> None:
    from anju.access.config import access_settings
    from anju.vision import face as vf
    from anju.vision.index import FaceIndex, brute_force, normalise
    from tests.vision import faces

    paths = vf.verify_model_files()
    for role, p in paths.items():
        print(f"model {role}: {p.name} sha256 {vf.sha256_of(p)[:16]}… verified")
    s = access_settings()
    t_in, t_gate = s.face_threshold, s.face_threshold_perimeter

    # --- accuracy ----------------------------------------------------------------------------------------
    names, vecs, rejected = faces.gallery()
    probes = faces.probes()

    def sface_accept(t: float):  # type: ignore[no-untyped-def]
        def f(nm, vs, e):  # type: ignore[no-untyped-def]
            sc = vs @ e
            i = int(np.argmax(sc))
            return nm[i] if sc[i] >= t else None

        return f

    print(f"\nSFace: {len(vecs)} enrolment templates of {len(set(names))} people; refused photos: {rejected or 'none'}")
    for label, t in (("interior", t_in), ("perimeter", t_gate)):
        r, n, ua, un, wrong = identify_all(names, vecs, probes, sface_accept(t))
        print(f"  {label} threshold {t}: {r}/{n} probe images exactly right, unknown faces accepted {ua}/{un}")
        for w in wrong:
            print(f"    wrong: {w}")
    genuine, impostor = faces.pair_scores()
    print(
        f"  pairs: {len(genuine)} genuine (cosine {min(genuine):.3f}–{max(genuine):.3f}), "
        f"{len(impostor)} impostor (max {max(impostor):.3f})"
    )
    for t in (0.30, t_in, 0.40, t_gate, 0.50):
        far, frr = rates(genuine, impostor, t, True)
        print(f"  cosine ≥ {t:.3f}: FAR {far * 100:.2f} %  FRR {frr * 100:.2f} %")

    dl = dlib_pipeline()
    if dl is None:
        print("\ndlib: not importable (no longer a dependency); side-by-side skipped")
    else:
        dn, dv = [], []
        for person in sorted(p for p in (faces.FACES / "enrol").iterdir() if p.is_dir()):
            for f in sorted(person.iterdir()):
                fs = dl(f.read_bytes())
                if len(fs) == 1:
                    dn.append(person.name)
                    dv.append(fs[0])
        dv_arr = np.stack(dv)
        import csv

        dprobes = []
        with open(faces.FACES / "probes.csv") as fh:
            for row in csv.DictReader(fh):
                dprobes.append(
                    (row["file"], set(row["people"].split(";")), dl((faces.FACES / "probe" / row["file"]).read_bytes()))
                )

        def dlib_accept(nm, vs, e):  # type: ignore[no-untyped-def]
            d = np.linalg.norm(vs - e, axis=1)
            i = int(np.argmin(d))
            return nm[i] if d[i] <= 0.55 else None

        r, n, ua, un, wrong = identify_all(dn, dv_arr, dprobes, dlib_accept)
        print(f"\ndlib (Euclidean ≤ 0.55), same images: {r}/{n} probe images right, unknown accepted {ua}/{un}")
        for w in wrong:
            print(f"    wrong: {w}")
        dg, di = [], []
        for _, expected, embs in dprobes:
            for e in embs:
                d = np.linalg.norm(dv_arr - e, axis=1)
                known = [x for x in expected if x in dn]
                who = min(known, key=lambda x: min(v for v, m in zip(d, dn, strict=True) if m == x), default=None)
                for m, v in zip(dn, d, strict=True):
                    (dg if m == who else di).append(float(v))
        for t in (0.5, 0.55, 0.6):
            far, frr = rates(dg, di, t, False)
            print(f"  distance ≤ {t:.2f}: FAR {far * 100:.2f} %  FRR {frr * 100:.2f} %")

    # --- pipeline latency: decode + detect + embed ----------------------------------------------------------
    sample = [faces.FACES / "probe" / f for f in ("obama1.jpg", "obama-1080p.jpg", "obama-240p.jpg")]
    print("\ndecode + detect + embed (median of 15):")
    for p in sample:
        data = p.read_bytes()
        ts = []
        for _ in range(15):
            t0 = time.perf_counter()
            vf.find_faces(data)
            ts.append((time.perf_counter() - t0) * 1000)
        line = f"  {p.name} ({len(data) // 1024} KB): SFace {statistics.median(ts):.0f} ms (min {min(ts):.0f})"
        if dl is not None:
            td = []
            for _ in range(5):
                t0 = time.perf_counter()
                dl(data)
                td.append((time.perf_counter() - t0) * 1000)
            line += (
                f", dlib {statistics.median(td):.0f} ms (min {min(td):.0f}); "
                f"dlib/SFace {statistics.median(td) / statistics.median(ts):.1f}×"
            )
        print(line)

    # --- 1:N at 50,000 --------------------------------------------------------------------------------------
    rng = np.random.default_rng(1)
    mu, sd = vecs.mean(axis=0), vecs.std(axis=0)
    synth = normalise((mu + rng.normal(0, 1, (50_000 - len(vecs), 128)) * sd * 1.5).astype(np.float32))
    gallery = np.vstack([vecs, synth]).astype(np.float32)
    refs = names + [f"s{i}" for i in range(len(synth))]
    idx = FaceIndex()
    t0 = time.perf_counter()
    idx.load(refs, gallery)
    print(f"\nindex load 50,000×128: {(time.perf_counter() - t0) * 1000:.0f} ms")
    q = [e for _, _, es in probes for e in es]

    def timed(fn, n: int) -> tuple[float, float]:  # type: ignore[no-untyped-def]
        """(median, min) in ms; the minimum is what a quiet machine gives (other processes share these cores)."""
        ts = []
        for k in range(n):
            v = q[k % len(q)]
            t0 = time.perf_counter()
            fn(v)
            ts.append((time.perf_counter() - t0) * 1000)
        return statistics.median(ts), min(ts)

    timed(idx.search, 20)
    i_med, i_min = timed(idx.search, 500)
    b_med, b_min = timed(lambda v: int(np.argmax(gallery @ v)), 300)  # the baseline: one full GEMV
    print(
        f"1:N search at 50,000: index median {i_med:.2f} ms (min {i_min:.2f}); numpy full scan (baseline) "
        f"median {b_med:.2f} ms (min {b_min:.2f}); {b_med / i_med:.1f}× faster (target ≤ 2 ms)"
    )
    qs = list(q) + list(normalise(gallery[rng.integers(0, len(gallery), 300)] + rng.normal(0, 0.02, (300, 128))))
    agree = sum(refs[brute_force(gallery, v)[0]] == idx.search(v).subject_ref for v in qs)  # type: ignore[union-attr]
    print(f"two-stage search agrees with the full scan on {agree}/{len(qs)} queries")
    for file, expected, embs in probes:  # with 50,000 distractors the real people still win at the gate
        if expected != {"unknown"}:
            got = {(m.subject_ref if (m := idx.identify(e, t_gate)) else "unknown") for e in embs}
            assert got == expected, (file, got)
    print("every known probe still identified among 50,000 templates at the perimeter threshold")

    # --- image → decision through the terminal endpoint ------------------------------------------------------
    fresh_demo_db(None, full=False)
    from fastapi.testclient import TestClient
    from sqlalchemy import select

    from anju.access.enums import CredentialKind
    from anju.access.models import AccessCredential, AccessPoint
    from anju.accounts.models import User
    from anju.core.db import transaction
    from anju.main import create_app
    from anju.sim.access_demo import TERMINAL_SECRET
    from anju.vision.service import face_template_service

    with transaction() as ses:
        li = ses.execute(select(User.person_id).where(User.username == "resident_li")).scalar_one()
        gate = ses.execute(select(AccessPoint).where(AccessPoint.name == "南门人行")).scalar_one()
        ref = face_template_service.new_subject_ref()
        ses.add(AccessCredential(compound_id=gate.compound_id, kind=CredentialKind.face, person_id=li, subject_ref=ref))
        face_template_service.store(
            ses,
            compound_id=gate.compound_id,
            subject_ref=ref,
            vector=vf.single_embedding((faces.FACES / "enrol/obama/obama.jpg").read_bytes()),
        )
        gate_id = gate.id
    c = TestClient(create_app())
    h = {"X-Device-Key": "term_SFXQ_south", "X-Device-Secret": TERMINAL_SECRET}
    print("\nimage → decision (terminal endpoint, 40 runs each):")
    for p in sample:
        data = p.read_bytes()
        times = []
        for _ in range(41):
            t0 = time.perf_counter()
            r = c.post(
                "/api/v1/terminals/decisions/face",
                headers=h,
                data={"access_point_id": str(gate_id), "liveness": "true"},
                files={"image": (p.name, data, "image/jpeg")},
            )
            times.append((time.perf_counter() - t0) * 1000)
            assert r.json()["decision"] == "allow", r.text
        times = times[1:]
        print(
            f"  {p.name} ({len(data) // 1024} KB): median {statistics.median(times):.0f} ms, p99 {p99(times):.0f} ms, "
            f"min {min(times):.0f} ms"
        )


if __name__ == "__main__":
    main()
