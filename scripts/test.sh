#!/usr/bin/env bash
# Run every test: the driver suite (pytest) and the addons' Odoo tests, against
# real servers started here on 127.0.0.1 and stopped afterwards.
# Ends with one line "N passed, N failed, N skipped"; exits non-zero on failure.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
"$ROOT/scripts/bootstrap.sh"
cd "$ROOT"
export STORAGE_SERVICES_VENV=${STORAGE_SERVICES_VENV:-$ROOT/.venv-services}
exec "${STORAGE_VENV:-$ROOT/.venv}/bin/python" -m harness.testrun "$@"
