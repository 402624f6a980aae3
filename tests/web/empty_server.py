"""Serve Anju on a database that `anju init` prepared, nothing seeded: `python -m tests.web.empty_server URL PORT`.

The go-live walk (test_walk_go_live.py) starts from an empty database, unlike the shared seeded live
server. The notify logger prints at INFO, so the walk reads a resident's SMS code where an operator of
the demo would: in the server log (the logging SMS provider).
"""

from __future__ import annotations

import logging
import sys


def main(url: str, port: int) -> None:
    import uvicorn

    from anju.main import create_app
    from anju.startup import post_upgrade
    from tests.conftest import attach

    logging.basicConfig(level=logging.WARNING, stream=sys.stdout, format="%(name)s %(message)s")
    logging.getLogger("anju.notify").setLevel(logging.INFO)
    attach(url)
    post_upgrade()
    uvicorn.run(
        create_app(with_worker=True),
        host="127.0.0.1",
        port=port,
        log_level="warning",
        access_log=False,
        timeout_graceful_shutdown=2,  # live pages (SSE) never close by themselves
    )


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]))
