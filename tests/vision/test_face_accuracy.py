"""Real face recognition on the shared images: every known face right, `unknown` never accepted."""

from __future__ import annotations

import numpy as np
import pytest

from anju.access.config import access_settings
from anju.vision.face import FaceImageRejected, single_embedding
from anju.vision.index import FaceIndex, brute_force
from tests.vision import faces

pytestmark = pytest.mark.skipif(not faces.available(), reason="shared face images not present")


@pytest.fixture(scope="module")
def index() -> FaceIndex:
    names, vecs, _ = faces.gallery()
    idx = FaceIndex()
    idx.load(names, vecs)
    return idx


def test_every_probe_face_identified_and_unknown_rejected(index):
    threshold = access_settings().face_threshold
    for file, expected, embeddings in faces.probes():
        assert embeddings, f"no face found in {file}"
        got = set()
        for e in embeddings:
            m = index.identify(e, threshold)
            got.add(m.subject_ref if m else "unknown")
        assert got == expected, f"{file}: expected {expected}, got {got}"


def test_every_person_enrolled_and_only_multi_face_photos_refused():
    names, _, rejected = faces.gallery()
    assert len(set(names)) == 8
    assert all(reason == "multiple_faces" for _, reason in rejected)


def test_two_people_probe_finds_both_but_enrolment_refuses_it():
    two = faces.FACES / "probe" / "two_people.jpg"
    with pytest.raises(FaceImageRejected) as e:
        single_embedding(two.read_bytes())
    assert e.value.reason == "multiple_faces"


def test_threshold_separates_genuine_from_impostor_on_shared_images(index):
    """The FA/FR evidence: largest genuine distance < threshold < smallest impostor distance."""
    names, vecs, _ = faces.gallery()
    genuine, impostor = [], []
    for _, expected, embeddings in faces.probes():
        for e in embeddings:
            d = np.linalg.norm(vecs - e, axis=1)
            best = {n: min(float(x) for x, m in zip(d, names, strict=False) if m == n) for n in set(names)}
            ranked = sorted(best.items(), key=lambda kv: kv[1])
            if ranked[0][0] in expected:
                genuine.append(ranked[0][1])
                impostor.append(ranked[1][1])
            else:
                impostor.append(ranked[0][1])
    t = access_settings().face_threshold
    assert max(genuine) < t < min(impostor)


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
    gallery = rng.normal(0, 0.1, (2000, 128)).astype(np.float32)
    idx = FaceIndex()
    idx.load([str(i) for i in range(2000)], gallery)
    for q in rng.normal(0, 0.1, (20, 128)).astype(np.float32):
        i, d = brute_force(gallery, q)
        m = idx.search(q)
        assert m is not None and m.subject_ref == str(i) and abs(m.distance - d) < 1e-4
    idx.remove("5")
    assert len(idx) == 1999 and idx.search(gallery[5]).subject_ref != "5"
