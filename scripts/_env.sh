# Shared by scripts/demo and scripts/test: a virtual environment with eonode installed.
# Re-running is cheap: packages are reinstalled only when pyproject.toml changes.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${EONODE_VENV:-$ROOT/.venv}"
PYTHON="$(command -v python3.11 || command -v python3)"

ensure_venv() {
    local extras="$1"
    if [ ! -x "$VENV/bin/python" ]; then
        "$PYTHON" -m venv "$VENV"
    fi
    local stamp="$VENV/.eonode-installed-$extras"
    local want
    want="$(sha256sum "$ROOT/pyproject.toml" | cut -c1-16)"
    if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
        "$VENV/bin/python" -m pip install --quiet --upgrade pip
        if [ -n "$extras" ]; then
            "$VENV/bin/python" -m pip install --quiet -e "$ROOT[$extras]"
        else
            "$VENV/bin/python" -m pip install --quiet -e "$ROOT"
        fi
        echo "$want" > "$stamp"
    fi
}
