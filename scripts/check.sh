#!/usr/bin/env bash
# The guards CI runs before the tests (README "Conventions"): lint, formatting, types, import layers.
# Every guard runs and reports; the script fails when any of them found something.
#   bash scripts/check.sh            # after scripts/bootstrap.sh test (the tools are in the `test` extra)
set -uo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
bin=.venv/bin
failed=()

guard() {
  local name="$1"
  shift
  echo "==> $name: $*"
  local started=$SECONDS
  if "$@"; then
    echo "    $name: ok ($((SECONDS - started)) s)"
  else
    echo "!!  $name: FAILED ($((SECONDS - started)) s)" >&2
    failed+=("$name")
  fi
}

guard "ruff" "$bin/ruff" check --no-fix .
guard "ruff format" "$bin/ruff" format --check .
guard "mypy" "$bin/mypy" src/anju
# Import contracts live in pyproject.toml ([tool.importlinter]); lint-imports fails when they are
# missing, so the guard only runs once a contract is declared — and then is never skipped.
if grep -q '^\[tool\.importlinter' pyproject.toml; then
  guard "import contracts" "$bin/lint-imports" --no-cache --no-logo
else
  echo "!!  import contracts: no [tool.importlinter] in pyproject.toml yet; nothing to check" >&2
fi

if [ "${#failed[@]}" -gt 0 ]; then
  echo "!!  guards failed: ${failed[*]}" >&2
  exit 1
fi
echo "==> guards: all passed"
