#!/usr/bin/env bash
# One command for the demo: set up, build the demo community (SQLite), serve on
# http://127.0.0.1:8000 with the worker in-process.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bash "$root/scripts/bootstrap.sh"
cd "$root"
export ANJU_DATABASE_URL="${ANJU_DATABASE_URL:-sqlite:///$root/anju.db}"
.venv/bin/anju demo
exec .venv/bin/anju serve --host "${ANJU_HOST:-127.0.0.1}" --port "${ANJU_PORT:-8000}"
