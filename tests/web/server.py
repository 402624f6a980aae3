"""Run a seeded Anju server for the browser tests: `python -m tests.web.server DATABASE_URL PORT`.

A separate process keeps the server's engine, settings and keys apart from the
test process, whose session-scoped engine fixture owns the module globals.
"""

from __future__ import annotations

import sys


def main(url: str, port: int) -> None:
    """Migrate and seed the demo world into `url`, then serve it on 127.0.0.1:`port`."""
    import uvicorn

    from anju.main import create_app
    from tests.conftest import migrate_and_seed

    migrate_and_seed(url)
    uvicorn.run(create_app(), host="127.0.0.1", port=port, log_level="warning", access_log=False)


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]))
