"""`anju serve --workers N` (issue 19, gate decisions): several web worker processes on PostgreSQL, the
outbox and jobs in one worker process beside them; refused on SQLite (one writer)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

pytestmark = pytest.mark.db_agnostic  # nothing is served or connected: uvicorn and the worker are stand-ins


@pytest.fixture
def cli(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, Any]]:
    """The CLI with uvicorn.run and the job worker's Popen recorded instead of run."""
    import subprocess

    import uvicorn

    from anju.core.config import reset_settings

    seen: dict[str, Any] = {"popen": [], "terminated": 0}

    class FakeProcess:
        def __init__(self, cmd: list[str], **_: Any) -> None:
            seen["popen"].append(cmd)

        def terminate(self) -> None:
            seen["terminated"] += 1

        def wait(self, timeout: float | None = None) -> int:
            return 0

    monkeypatch.setattr(uvicorn, "run", lambda *a, **kw: seen.update(run=(a, kw)))
    monkeypatch.setattr(subprocess, "Popen", FakeProcess)
    monkeypatch.setenv("ANJU_DATABASE_URL", "sqlite:///unused.db")  # restored after the test (serve sets it)
    yield seen
    monkeypatch.undo()
    reset_settings()


def _serve(*args: str) -> Any:
    from typer.testing import CliRunner

    from anju.cli import app

    return CliRunner().invoke(app, ["serve", *args])


def test_serve_workers_runs_the_app_factory_in_each_web_process_and_one_job_worker(cli):
    r = _serve("--database-url", "postgresql+psycopg://u@127.0.0.1:1/none", "--workers", "3", "--port", "8123")
    assert r.exit_code == 0, r.output
    args, kw = cli["run"]
    assert args == ("anju.cli:web_app",) and kw["factory"] is True and kw["workers"] == 3 and kw["port"] == 8123
    (cmd,) = cli["popen"]
    assert cmd[-3:] == ["-m", "anju.cli", "worker"]
    assert cli["terminated"] == 1  # the job worker stops with the web workers


def test_serve_workers_without_the_worker_starts_no_job_process(cli):
    r = _serve("--database-url", "postgresql+psycopg://u@127.0.0.1:1/none", "--workers", "2", "--no-worker")
    assert r.exit_code == 0, r.output
    assert cli["run"][1]["workers"] == 2 and cli["popen"] == []


def test_serve_workers_above_one_refused_on_sqlite(cli, tmp_path):
    r = _serve("--database-url", f"sqlite:///{tmp_path / 'x.db'}", "--workers", "2")
    assert r.exit_code == 2
    assert "PostgreSQL" in r.output
    assert "run" not in cli and cli["popen"] == []


def test_serve_workers_web_app_is_a_factory_the_cli_module_exports():
    import anju.cli

    assert callable(anju.cli.web_app)  # the import string uvicorn resolves in every worker process
