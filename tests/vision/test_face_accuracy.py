"""Real face recognition on the shared images: every known face right, `unknown` never accepted (SFace, cosine)."""

from __future__ import annotations

import numpy as np
import pytest

from anju.access.config import access_settings
from anju.vision.face import FaceImageRejected, single_embedding
from anju.vision.index import FaceIndex, brute_force, normalise
from tests.vision import faces
from tests.vision.faces import shared_faces  # noqa: F401  (fixture behind needs_faces)

pytestmark = pytest.mark.db_agnostic  # pure functions: run in the SQLite pass only (scripts/test.sh)


@pytest.fixture(scope="module")
def index() -> FaceIndex:
    faces.require()
    names, vecs, _ = faces.gallery()
    idx = FaceIndex()
    idx.load(names, vecs)
    return idx


@faces.needs_faces
@pytest.mark.parametrize("which", ["face_threshold", "face_threshold_perimeter"])
def test_every_probe_face_identified_and_unknown_rejected(index, which):
    threshold = getattr(access_settings(), which)
    for file, expected, embeddings in faces.probes():
        assert embeddings, f"no face found in {file}"
        got = set()
        for e in embeddings:
            m = index.identify(e, threshold)
            got.add(m.subject_ref if m else "unknown")
        assert got == expected, f"{file}: expected {expected}, got {got}"


@faces.needs_faces
def test_every_person_enrolled_and_every_enrolment_photo_passes_quality():
    names, _, rejected = faces.gallery()
    assert len(set(names)) == 8
    assert rejected == []


@faces.needs_faces
def test_two_people_probe_finds_both_but_enrolment_refuses_it():
    two = faces.FACES / "probe" / "two_people.jpg"
    with pytest.raises(FaceImageRejected) as e:
        single_embedding(two.read_bytes())
    assert e.value.reason == "multiple_faces"


@faces.needs_faces
def test_threshold_separates_genuine_from_impostor_on_shared_images():
    """The FA/FR evidence over every (enrolment photo, probe face) pair: lowest genuine best match > perimeter
    threshold > interior threshold > highest impostor pair."""
    names, vecs, _ = faces.gallery()
    best_genuine = []
    for _, expected, embeddings in faces.probes():
        for e in embeddings:
            s = vecs @ e
            ranked = sorted(
                {n: max(float(x) for x, m in zip(s, names, strict=True) if m == n) for n in set(names)}.items(),
                key=lambda kv: -kv[1],
            )
            if ranked[0][0] in expected:
                best_genuine.append(ranked[0][1])
    _, impostor = faces.pair_scores()
    s = access_settings()
    assert min(best_genuine) > s.face_threshold_perimeter > s.face_threshold > max(impostor)


@pytest.mark.parametrize(
    "data,reason", [(b"not an image at all", "not_an_image"), (b"\x89PNG\r\n\x1a\n", "not_an_image")]
)
def test_bad_uploads_have_reason_codes(data, reason):
    with pytest.raises(FaceImageRejected) as e:
        single_embedding(data)
    assert e.value.reason == reason and e.value.status_code == 422


def test_image_without_a_face():
    import io

    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (320, 240), (120, 160, 200)).save(buf, "JPEG")
    with pytest.raises(FaceImageRejected) as e:
        single_embedding(buf.getvalue())
    assert e.value.reason == "no_face"


def test_index_matches_brute_force():
    rng = np.random.default_rng(7)
    gallery = normalise(rng.normal(0, 0.1, (6000, 128)).astype(np.float32))
    idx = FaceIndex()
    idx.load([str(i) for i in range(6000)], gallery)  # past COARSE_MIN: the two-stage search
    queries = normalise(gallery[rng.integers(0, 6000, 30)] + rng.normal(0, 0.03, (30, 128)).astype(np.float32))
    for q in queries:
        i, s = brute_force(gallery, q)
        m = idx.search(q)
        assert m is not None and m.subject_ref == str(i) and abs(m.score - s) < 1e-4
    idx.remove("5")
    assert len(idx) == 5999 and idx.search(gallery[5]).subject_ref != "5"
