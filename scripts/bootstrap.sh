#!/usr/bin/env bash
# Prepare this machine for the demo and the tests; safe to run again.
#   - Debian packages (when root): PostgreSQL 15, LDAP/SASL headers, memcached,
#     Ceph's monitor, OSD and RADOS Gateway (a throwaway cluster for the tests)
#   - Odoo 17.0 source in $ODOO_SRC (default ~/odoo-17.0), cloned if absent
#   - .venv (Odoo + addons + tests) and .venv-services (test servers)
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
ODOO_SRC=${ODOO_SRC:-$HOME/odoo-17.0}
VENV=${STORAGE_VENV:-$ROOT/.venv}
SERVICES_VENV=${STORAGE_SERVICES_VENV:-$ROOT/.venv-services}
PYTHON=${PYTHON:-python3}
export PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_PROGRESS_BAR=off

say() { printf '[bootstrap] %s\n' "$*" >&2; }

# 1. Debian packages -------------------------------------------------------------
missing=()
for package in postgresql-15 libldap2-dev libsasl2-dev memcached chromium ceph-mon ceph-osd radosgw; do
    dpkg -s "$package" >/dev/null 2>&1 || missing+=("$package")
done
if ((${#missing[@]})); then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
        say "installing Debian packages: ${missing[*]}"
        apt-get update -qq >/dev/null
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
    else
        say "WARNING: missing Debian packages: ${missing[*]} (install them with sudo apt-get install)"
    fi
fi

# 2. Odoo source -------------------------------------------------------------------
if [ ! -f "$ODOO_SRC/odoo-bin" ] && [ "${ODOO_CLONE:-1}" = 1 ]; then
    say "no Odoo source in $ODOO_SRC; trying a shallow clone of Odoo 17.0 from GitHub"
    if ! timeout 900 git clone -q --depth 1 --branch 17.0 https://github.com/odoo/odoo.git "$ODOO_SRC" 2>/dev/null; then
        rm -rf "$ODOO_SRC"
        say "could not clone Odoo (no network?); Odoo parts will be skipped"
    fi
fi

# 3. Virtualenvs, reinstalled only when a requirements file changed -----------------
fingerprint() { cat "$@" 2>/dev/null | sha256sum | cut -d' ' -f1; }

make_venv() { [ -x "$1/bin/python" ] || "$PYTHON" -m venv "$1"; }

main_inputs=("$ROOT/requirements.txt" "$ROOT/test-requirements.txt" "$ROOT/pyproject.toml")
[ -f "$ODOO_SRC/requirements.txt" ] && main_inputs+=("$ODOO_SRC/requirements.txt")
stamp=$(fingerprint "${main_inputs[@]}")
if [ "$(cat "$VENV/.stamp" 2>/dev/null)" != "$stamp" ]; then
    say "installing Python packages into $VENV"
    make_venv "$VENV"
    "$VENV/bin/pip" install -q "setuptools<81" wheel
    if [ -f "$ODOO_SRC/requirements.txt" ]; then
        "$VENV/bin/pip" install -q -r "$ODOO_SRC/requirements.txt"
    fi
    # Odoo's pins stay as they are: our requirements may not upgrade them
    constraints=()
    [ -f "$ODOO_SRC/requirements.txt" ] && constraints=(-c "$ODOO_SRC/requirements.txt")
    "$VENV/bin/pip" install -q -r "$ROOT/requirements.txt" -r "$ROOT/test-requirements.txt" \
        "${constraints[@]}"
    echo "$stamp" >"$VENV/.stamp"
fi

stamp=$(fingerprint "$ROOT/harness/services-requirements.txt")
if [ "$(cat "$SERVICES_VENV/.stamp" 2>/dev/null)" != "$stamp" ]; then
    say "installing test servers into $SERVICES_VENV"
    make_venv "$SERVICES_VENV"
    "$SERVICES_VENV/bin/pip" install -q -r "$ROOT/harness/services-requirements.txt"
    echo "$stamp" >"$SERVICES_VENV/.stamp"
fi
