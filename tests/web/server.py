"""Run a seeded Anju server for the browser tests: `python -m tests.web.server DATABASE_URL PORT [--prepared]`.

`--prepared`: the database is already a migrated, seeded copy (tests/conftest.py copy_database).

A separate process keeps the server's engine, settings and keys apart from the
test process, whose session-scoped engine fixture owns the module globals.
"""

from __future__ import annotations

import sys


def main(url: str, port: int, *, prepared: bool = False) -> None:
    """Migrate and seed the demo world into `url` (unless prepared), then serve it on 127.0.0.1:`port`."""
    import uvicorn

    from anju.main import create_app
    from anju.startup import post_upgrade
    from tests.conftest import attach, migrate_and_seed

    if prepared:
        attach(url)
        post_upgrade()
    else:
        migrate_and_seed(url)
    uvicorn.run(
        create_app(),
        host="127.0.0.1",
        port=port,
        log_level="warning",
        access_log=False,
        timeout_graceful_shutdown=2,  # live pages (SSE) never close by themselves
    )


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]), prepared="--prepared" in sys.argv[3:])
