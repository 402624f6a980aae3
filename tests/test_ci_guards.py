"""Issue 10 item 7: tests cannot silently stop testing (the harness's own guards)."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest

import tests.conftest as harness
from tests.core.job_race import race
from tests.vision import faces

pytestmark = pytest.mark.db_agnostic


class TestUnavailable:
    def test_cannot_silently_stop_testing_a_missing_service_skips_on_a_laptop(self, monkeypatch):
        monkeypatch.setattr(harness, "REQUIRE", False)
        with pytest.raises(pytest.skip.Exception, match="no such broker"):
            harness.service_unavailable("no such broker")

    def test_cannot_silently_stop_testing_a_missing_service_fails_in_ci(self, monkeypatch):
        monkeypatch.setattr(harness, "REQUIRE", True)
        with pytest.raises(pytest.fail.Exception, match="no such broker"):
            harness.service_unavailable("no such broker")

    def test_cannot_silently_stop_testing_missing_face_images_fail_in_ci(self, monkeypatch, tmp_path: Path):
        monkeypatch.setattr(faces, "FACES", tmp_path / "nowhere")
        monkeypatch.setattr(harness, "REQUIRE", True)
        with pytest.raises(pytest.fail.Exception, match="face images not found"):
            faces.require()


class TestDbAgnostic:
    @staticmethod
    def _item(nodeid: str, *, marked: bool, fixtures: tuple[str, ...]) -> SimpleNamespace:
        return SimpleNamespace(
            nodeid=nodeid,
            fixturenames=fixtures,
            get_closest_marker=lambda name: object() if marked and name == "db_agnostic" else None,
        )

    def test_cannot_silently_stop_testing_db_agnostic_with_the_database_is_refused(self):
        items = [
            self._item("t.py::pure", marked=True, fixtures=("tmp_path",)),
            self._item("t.py::uses_db", marked=True, fixtures=("session", "engine")),
            self._item("t.py::plain", marked=False, fixtures=("engine",)),
        ]
        with pytest.raises(pytest.UsageError, match=r"t\.py::uses_db$"):
            harness.pytest_collection_modifyitems(None, items)  # type: ignore[arg-type]

    def test_pure_and_unmarked_tests_pass_the_check(self):
        items = [self._item("t.py::pure", marked=True, fixtures=())]
        harness.pytest_collection_modifyitems(None, items)  # type: ignore[arg-type]


class TestRace:
    def test_race_returns_each_result_in_order(self):
        assert race(3, lambda i: i * i) == [0, 1, 4]

    def test_cannot_silently_stop_testing_an_exception_in_a_thread_fails_the_test(self):
        def boom(i: int) -> int:
            if i == 1:
                raise ValueError("thread 1 failed")
            return i

        with pytest.raises(ValueError, match="thread 1 failed"):
            race(2, boom)

    def test_cannot_silently_stop_testing_a_hung_thread_fails_the_test(self):
        import threading

        release = threading.Event()
        try:
            with pytest.raises(AssertionError, match="still running"):
                race(2, lambda i: release.wait(5) if i else None, timeout=0.3)
        finally:
            release.set()
