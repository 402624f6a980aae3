#!/usr/bin/env bash
# One command for the tests: set up, then run the whole suite on SQLite and on
# PostgreSQL (127.0.0.1:5432, a fresh database per run). Browser tests drive
# Debian's Chromium. Without PostgreSQL or Chromium those tests skip with a
# reason, unless ANJU_REQUIRE_SERVICES=1 (CI), which makes such skips failures.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bash "$root/scripts/bootstrap.sh" test
cd "$root"

need=""
command -v chromium >/dev/null 2>&1 || need="chromium chromium-driver"
# A CJK font, so the screenshots of zh-CN pages show Chinese text instead of boxes.
[ -e /usr/share/fonts/truetype/wqy/wqy-microhei.ttc ] || need="$need fonts-wqy-microhei"
if [ -n "$need" ]; then
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    echo "==> installing Debian packages for browser tests:$need"
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $need >/dev/null) \
      || echo "!! could not install$need; browser tests may skip" >&2
  else
    echo "!! chromium not installed (apt-get install chromium); browser tests will skip" >&2
  fi
fi

mkdir -p test-output
workers="${ANJU_TEST_WORKERS:-2}"
status=0
echo "==> suite on SQLite"
ANJU_TEST_DB=sqlite .venv/bin/python -m pytest -n "$workers" -p no:cacheprovider "$@" || status=$?
echo "==> suite on PostgreSQL"
ANJU_TEST_DB=postgresql .venv/bin/python -m pytest -n "$workers" -p no:cacheprovider -m "not sqlite_only" "$@" || status=$?
exit $status
