#!/usr/bin/env bash
# One command for the tests: set up, then run the suite on SQLite and on PostgreSQL
# (127.0.0.1:5432, a fresh database per test worker). Browser tests drive Debian's
# Chromium. Without PostgreSQL or Chromium those tests skip with a reason, unless
# ANJU_REQUIRE_SERVICES=1 (CI), which makes such skips failures.
# Arguments go to both pytest runs: bash scripts/test.sh tests/fees -x
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bash "$root/scripts/bootstrap.sh" test
cd "$root"

need=""
command -v chromium >/dev/null 2>&1 || need="chromium chromium-driver"
# A CJK font, so the screenshots of zh-CN pages show Chinese text instead of boxes.
[ -e /usr/share/fonts/truetype/wqy/wqy-microhei.ttc ] || need="$need fonts-wqy-microhei"
# PgBouncer, for the test of the district set-up (transaction pooling in front of PostgreSQL).
command -v pgbouncer >/dev/null 2>&1 || [ -x /usr/sbin/pgbouncer ] || need="$need pgbouncer"
if [ -n "$need" ]; then
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    echo "==> installing Debian packages for the tests:$need"
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $need >/dev/null) \
      || echo "!! could not install$need; the tests that need them skip (fail in CI)" >&2
  else
    echo "!! not installed:$need (apt-get install$need); the tests that need them will skip" >&2
  fi
fi

mkdir -p test-output
workers="${ANJU_TEST_WORKERS:-2}"
status=0
ran=0

# Each test runs where it can prove something:
#   SQLite pass      everything except the browser walks, the `once` tests (the web layer's page and
#                    permission tests and the API fuzz: they run once, on PostgreSQL, the production
#                    database) and `postgres` tests;
#   PostgreSQL pass  everything except `sqlite_only` and `db_agnostic` tests (pure functions: tallies,
#                    crypto, config, catalogues, signing, intake validation; see tests/conftest.py).
# Without a reachable PostgreSQL (and outside CI) the browser walks and `once` tests run in the SQLite pass.
sqlite_marks="not browser and not once and not postgres"
if [ "${ANJU_REQUIRE_SERVICES:-}" != "1" ] && ! (exec 3<>/dev/tcp/127.0.0.1/5432) 2>/dev/null; then
  echo "!! PostgreSQL not reachable on 127.0.0.1:5432: browser walks and the API fuzz run on SQLite, the PostgreSQL pass skips" >&2
  sqlite_marks="not postgres"
fi

# pytest exits 5 when a pass selected no test. For the whole suite (no arguments, as in CI) that
# means the suite is broken and fails the run. For a selection of your own ("$@"), one pass may
# hold none of it (a db_agnostic module has nothing to run on PostgreSQL), but not both.
run_pass() {
  local label="$1" db="$2" marks="$3"
  shift 3
  local started=$SECONDS code=0
  echo "==> suite on $label${marks:+ (-m \"$marks\")}"
  ANJU_TEST_DB="$db" .venv/bin/python -m pytest -n "$workers" --dist loadgroup -p no:cacheprovider --durations=15 \
    ${marks:+-m "$marks"} "$@" || code=$?
  echo "==> $label pass: exit $code in $((SECONDS - started)) s"
  if [ "$code" = 5 ] && [ "$nargs" -gt 0 ]; then
    echo "    (no test of your selection runs on $label)"
  elif [ "$code" != 0 ]; then
    status=$code
  fi
  [ "$code" = 5 ] || ran=1
}
nargs=$#
case "$sqlite_marks" in
  *browser*) echo "==> browser walks, web-layer tests and the API fuzz are deselected in the SQLite pass: they run once, on PostgreSQL" ;;
esac
run_pass SQLite sqlite "$sqlite_marks" "$@"
run_pass PostgreSQL postgresql "not sqlite_only and not db_agnostic" "$@"
if [ "$ran" = 0 ]; then
  echo "!! no test ran in either pass" >&2
  [ "$status" != 0 ] || status=5
fi
exit $status
