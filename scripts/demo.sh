#!/usr/bin/env bash
# Set up everything, then run Odoo on http://127.0.0.1:8069 with a demo
# database that has the whole suite installed (local-disk backend by default).
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
"$ROOT/scripts/bootstrap.sh"
cd "$ROOT"
exec "${STORAGE_VENV:-$ROOT/.venv}/bin/python" -m harness.demo "$@"
