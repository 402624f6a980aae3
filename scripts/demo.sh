#!/usr/bin/env bash
# One command for the demo: set up, build the demo community (SQLite), serve on
# http://127.0.0.1:8000 with the worker in-process, and the device simulator.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bash "$root/scripts/bootstrap.sh"
cd "$root"
export ANJU_DATABASE_URL="${ANJU_DATABASE_URL:-sqlite:///$root/anju.db}"
.venv/bin/anju demo
# Device traffic for the demo compound, with scripted incidents (smoke on 3号楼 12F, a leak in the
# pump room, a trapped lift, a flapping gas sensor, street lights going offline). Over MQTT through
# `anju gateway` when ANJU_MQTT_URL is set, otherwise pushed over HTTP into this server.
port="${ANJU_PORT:-8000}"
if [ -n "${ANJU_MQTT_URL:-}" ]; then
  .venv/bin/anju gateway &
  children="$!"
fi
.venv/bin/anju simulate --url "http://127.0.0.1:$port" --speed "${ANJU_SIM_SPEED:-4}" &
children="${children:-} $!"
# The edge video worker (issue 14): the demo cameras replay the shared footage at the pace it was filmed, in a
# loop; each real event in a clip is recorded once, however often the clip loops.
.venv/bin/anju video-worker &
children="$children $!"
trap 'kill $children 2>/dev/null || true' EXIT
.venv/bin/anju serve --host "${ANJU_HOST:-127.0.0.1}" --port "$port"
