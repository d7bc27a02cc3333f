#!/usr/bin/env bash
# delivery_crm developer set-up, called by the Makefile (`make run`, `make test`, ...).
#
# Every step is idempotent: it checks what is already there and skips it, so a second
# `make run` starts in seconds. Nothing here depends on the caller's shell variables;
# the optional ones are documented in README.md (ODOO_SRC, PYTHON, PGHOST/PGPORT/PGUSER,
# DB, HTTP_PORT).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
VENV="$ROOT/.venv"
STATE="$ROOT/.local"                       # git-ignored: odoo.conf, filestore, stamps, logs
CONF="$STATE/odoo.conf"
ODOO_DEFAULT=/opt/odoo/19.0                # documented default location of the Odoo 19 source
ODOO_URL=https://nightly.odoo.com/19.0/nightly/src/odoo_19.0.latest.tar.gz
PTH_NAME=delivery_crm_odoo.pth
DB=${DB:-delivery_crm}
TEST_DB=${TEST_DB:-delivery_crm_test}
HTTP_PORT=${HTTP_PORT:-8069}
HTTP_INTERFACE=${HTTP_INTERFACE:-127.0.0.1}
MODULE=delivery_crm

say() { printf '[setup] %s\n' "$*" >&2; }
die() { printf '\n[setup] ERROR: %s\n\n' "$*" >&2; exit 1; }

# --------------------------------------------------------------------------- Python 3.12
is_py312() { "$1" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 12))' >/dev/null 2>&1; }

find_python() {
    local candidates=() c roots=()
    [ -n "${PYTHON:-}" ] && candidates+=("$PYTHON")
    candidates+=(python3.12)
    [ -n "${PYENV_ROOT:-}" ] && roots+=("$PYENV_ROOT")
    command -v pyenv >/dev/null 2>&1 && roots+=("$(pyenv root 2>/dev/null || true)")
    roots+=("${HOME:-/root}/.pyenv" /root/.pyenv /usr/local/pyenv /opt/pyenv)
    for r in "${roots[@]}"; do
        [ -n "$r" ] || continue
        for c in "$r"/versions/3.12*/bin/python3.12; do [ -x "$c" ] && candidates+=("$c"); done
    done
    candidates+=(/usr/local/bin/python3.12 /usr/bin/python3.12)
    for c in "${candidates[@]}"; do
        if is_py312 "$c"; then command -v "$c" 2>/dev/null || echo "$c"; return 0; fi
    done
    return 1
}

ensure_venv() {
    if [ -x "$VENV/bin/python" ] && is_py312 "$VENV/bin/python"; then return; fi
    local py
    py=$(find_python) || die "no Python 3.12 found. Install one (e.g. 'pyenv install 3.12') or set PYTHON=/path/to/python3.12."
    say "creating virtual environment .venv with $py"
    rm -rf "$VENV"
    "$py" -m venv "$VENV"
    "$VENV/bin/python" -m pip install -q --upgrade pip
}

# --------------------------------------------------------------------------- Odoo 19
# Prints the directory that holds the `odoo` package (a source checkout or site-packages).
is_odoo19() { [ -f "$1/odoo/release.py" ] && grep -q '^version_info = (19, 0' "$1/odoo/release.py"; }

importable_odoo() {  # $1: a python; prints the root that holds its `odoo` package
    # (not through the path our own .pth file adds: that is where *we* put Odoo)
    IGNORE_PATH="${2:-}" "$1" - <<'EOF' 2>/dev/null
import os, sys
ignored = os.environ.get("IGNORE_PATH")
if ignored:
    sys.path[:] = [p for p in sys.path if os.path.abspath(p) != os.path.abspath(ignored)]
import odoo.release
assert odoo.release.version_info[:2] == (19, 0)
print(os.path.dirname(os.path.dirname(os.path.abspath(odoo.release.__file__))))
EOF
}

download_odoo() {
    command -v curl >/dev/null 2>&1 || return 1
    local parent tmp
    parent=$(dirname "$ODOO_DEFAULT")
    mkdir -p "$parent" 2>/dev/null || return 1
    tmp=$(mktemp -d "$parent/.odoo-download.XXXXXX") || return 1
    say "downloading the Odoo 19 source from $ODOO_URL"
    if curl -fsSL --connect-timeout 20 "$ODOO_URL" | tar -xz -C "$tmp" --strip-components=1 \
            && is_odoo19 "$tmp"; then
        mv "$tmp" "$ODOO_DEFAULT"
        return 0
    fi
    rm -rf "$tmp"
    return 1
}

locate_odoo() {
    local root ours=""
    # our .pth stays in place (other runs may be using the venv right now): ignore it
    [ -f "$VENV/lib/python3.12/site-packages/$PTH_NAME" ] && ours=$(cat "$VENV/lib/python3.12/site-packages/$PTH_NAME")
    if [ -n "${ODOO_SRC:-}" ]; then
        is_odoo19 "$ODOO_SRC" || die "ODOO_SRC=$ODOO_SRC is not an Odoo 19 source tree (no odoo/release.py of 19.0)."
        (cd "$ODOO_SRC" && pwd); return
    fi
    if root=$(importable_odoo "$VENV/bin/python" "$ours"); then echo "$root"; return; fi
    local py; py=$(find_python || true)
    if [ -n "$py" ] && root=$(importable_odoo "$py"); then echo "$root"; return; fi
    if is_odoo19 "$ODOO_DEFAULT"; then echo "$ODOO_DEFAULT"; return; fi
    if download_odoo; then echo "$ODOO_DEFAULT"; return; fi
    die "Odoo 19 was not found. Provide it in one of these ways:
  1. ODOO_SRC=/path/to/odoo make ...   (a checkout of odoo/odoo, branch 19.0)
  2. unpack the Odoo 19 source into $ODOO_DEFAULT (the default location), e.g.
       git clone --depth 1 -b 19.0 https://github.com/odoo/odoo $ODOO_DEFAULT
  3. make 'import odoo' (19.0) work in .venv or in your Python 3.12.
The official source download ($ODOO_URL) was tried and failed."
}

ensure_odoo() {
    ODOO_ROOT=$(locate_odoo)
    local site; site=$("$VENV/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
    local ours=""
    [ -f "$site/$PTH_NAME" ] && ours=$(cat "$site/$PTH_NAME")
    if ! importable_odoo "$VENV/bin/python" "$ours" >/dev/null || [ -n "${ODOO_SRC:-}" ] || [ "$ODOO_ROOT" = "$ODOO_DEFAULT" ]; then
        if [ "$ours" != "$ODOO_ROOT" ]; then  # written once, atomically
            echo "$ODOO_ROOT" > "$site/$PTH_NAME.new" && mv "$site/$PTH_NAME.new" "$site/$PTH_NAME"
        fi
    elif [ -n "$ours" ]; then
        rm -f "$site/$PTH_NAME"  # Odoo is importable by other means now
    fi
    ADDONS="$ODOO_ROOT/odoo/addons"
    [ -d "$ODOO_ROOT/addons" ] && ADDONS="$ODOO_ROOT/addons,$ADDONS"
    ADDONS="$ADDONS,$ROOT"
}

ensure_requirements() {
    mkdir -p "$STATE"
    local odoo_req="$ODOO_ROOT/requirements.txt" stamp="$VENV/.requirements-stamp" want
    want=$(cat "$ROOT/requirements.txt" "$ROOT/requirements-dev.txt" "$ROOT/constraints.txt" "$odoo_req" 2>/dev/null | sha1sum | cut -d' ' -f1)
    [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] && return
    say "installing Python requirements (pinned by constraints.txt)"
    local args=(-r "$ROOT/requirements.txt" -r "$ROOT/requirements-dev.txt")
    if [ -f "$odoo_req" ]; then
        # python-ldap only serves auth_ldap and needs libldap2-dev to build: left out.
        grep -viE '^\s*python-ldap' "$odoo_req" > "$STATE/odoo-requirements.txt"
        args+=(-r "$STATE/odoo-requirements.txt")
    fi
    "$VENV/bin/python" -m pip install -q -c "$ROOT/constraints.txt" "${args[@]}"
    echo "$want" > "$stamp"
}

# --------------------------------------------------------------------------- PostgreSQL
pg_up() { pg_isready -q >/dev/null 2>&1; }

# DROP DATABASE ... WITH (FORCE) cannot end a superuser's session: an autovacuum worker that
# happens to be vacuuming the database makes it fail. Such a worker is short-lived: try again.
drop_db() {
    local i
    for i in $(seq 20); do
        dropdb --if-exists --force "$1" 2>/dev/null && return 0
        sleep 1
    done
    dropdb --if-exists --force "$1"
}

ensure_postgres() {
    command -v pg_isready >/dev/null 2>&1 || die "PostgreSQL client tools not found (Debian: apt-get install postgresql)."
    if ! pg_up && command -v pg_lsclusters >/dev/null 2>&1; then
        local ver name port status rest
        while read -r ver name port status rest; do
            [ "$status" = online ] && continue
            say "starting PostgreSQL cluster $ver/$name"
            pg_ctlcluster "$ver" "$name" start || true
        done < <(pg_lsclusters --no-header)
    fi
    for _ in $(seq 30); do pg_up && break; sleep 1; done
    pg_up || die "PostgreSQL is not reachable (pg_isready fails). Start it, or set PGHOST/PGPORT."
    local user=${PGUSER:-$(id -un)}
    if ! psql -d postgres -Atqc 'SELECT 1' >/dev/null 2>&1; then
        if [ "$(id -u)" = 0 ] && id postgres >/dev/null 2>&1; then
            say "creating PostgreSQL role $user"
            runuser -u postgres -- psql -q -d postgres -c "CREATE ROLE \"$user\" LOGIN CREATEDB" \
                || die "could not create the PostgreSQL role $user"
        else
            die "PostgreSQL refuses role $user. Create it: sudo -u postgres createuser --createdb $user"
        fi
    fi
}

# --------------------------------------------------------------------------- Odoo config
write_config() {
    mkdir -p "$STATE/data"
    cat > "$CONF.new" <<EOF
; written by tools/dev.sh: do not edit, set the variables documented in README.md instead
[options]
addons_path = $ADDONS
data_dir = $STATE/data
http_port = $HTTP_PORT
http_interface = $HTTP_INTERFACE
admin_passwd = admin
list_db = True
without_demo = False
log_level = info
EOF
    mv "$CONF.new" "$CONF"
}

ensure_system_packages() {  # the PDF engine, CJK fonts for the reports, a browser for UI tests
    local missing=()
    command -v wkhtmltopdf >/dev/null 2>&1 || missing+=(wkhtmltopdf)
    command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 \
        || command -v google-chrome >/dev/null 2>&1 || missing+=(chromium)
    command -v pdftoppm >/dev/null 2>&1 || missing+=(poppler-utils)  # make screenshots
    if command -v fc-list >/dev/null 2>&1 && ! fc-list :lang=zh | grep -q .; then
        missing+=(fonts-noto-cjk)
    fi
    [ ${#missing[@]} = 0 ] && return 0
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
        say "installing ${missing[*]} (Debian packages)"
        export DEBIAN_FRONTEND=noninteractive
        apt-get install -y -q "${missing[@]}" >/dev/null 2>&1 \
            || { apt-get update -q >/dev/null 2>&1 && apt-get install -y -q "${missing[@]}" >/dev/null 2>&1; } \
            || say "WARNING: could not install ${missing[*]}; PDF reports or browser tests need them"
    else
        say "WARNING: missing ${missing[*]}; PDF reports and browser tests need them" \
            "(Debian: sudo apt-get install ${missing[*]})"
    fi
}

setup() {
    ensure_venv
    ensure_odoo
    ensure_requirements
    ensure_system_packages
    ensure_postgres
    write_config
}

odoo() {  # odoo-bin with our configuration; a sub-command (shell, i18n...) goes first
    local sub=()
    if [ $# -gt 0 ] && [[ "$1" != -* ]]; then sub=("$1"); shift; fi
    "$VENV/bin/python" -m odoo "${sub[@]}" -c "$CONF" "$@"
}

db_exists() { [ "$(psql -d postgres -Atqc "SELECT 1 FROM pg_database WHERE datname = '$1'")" = 1 ]; }

module_hash() {
    (cd "$ROOT" && find "$MODULE" -type f ! -name '*.pyc' -print0 | sort -z | xargs -0 sha1sum) | sha1sum | cut -d' ' -f1
}

cmd_run() {
    setup
    local stamp="$STATE/$DB.module-stamp" hash; hash=$(module_hash)
    if ! db_exists "$DB"; then
        say "creating database $DB with $MODULE and its demo data (login admin / admin)"
        odoo -d "$DB" -i "$MODULE" --with-demo --stop-after-init --log-level=warn
        echo "$hash" > "$stamp"
    elif [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$hash" ]; then
        say "module changed since the last run: updating $MODULE in $DB"
        odoo -d "$DB" -u "$MODULE" --stop-after-init --log-level=warn
        echo "$hash" > "$stamp"
    fi
    say "serving http://localhost:$HTTP_PORT (database $DB, login admin / admin)"
    exec "$VENV/bin/python" -m odoo -c "$CONF" -d "$DB" --db-filter="^$DB\$" "$@"
}

cmd_testdb() {  # a fresh database with the module installed (and its demo data)
    setup
    drop_db "$TEST_DB"
    say "creating test database $TEST_DB with $MODULE"
    odoo -d "$TEST_DB" -i "$MODULE" --with-demo --stop-after-init --log-level=warn
}

cmd_test() {
    cmd_testdb
    local rc=0
    # --odoo-http: HttpCase tests (the portal) get an Odoo HTTP server on a free port
    "$VENV/bin/python" -m pytest --odoo-http --odoo-log-level=warn --odoo-config "$CONF" --odoo-database "$TEST_DB" \
        "$MODULE/tests" tests "$@" || rc=$?
    return $rc
}

cmd_test_odoo() {  # the same module suite under Odoo's own test runner
    setup
    local db="${TEST_DB}_odoo" log="$STATE/test-odoo.log" rc=0
    drop_db "$db"
    # HttpCase tests need the HTTP server: on a free port, not the one `make run` uses
    local port; port=$("$VENV/bin/python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    odoo -d "$db" -i "$MODULE" --with-demo --test-enable --test-tags "/$MODULE" \
        --http-port="$port" --stop-after-init --log-level=test "$@" 2>&1 | tee "$log" || rc=$?
    drop_db "$db" || say "could not drop $db (left for the next run to drop)"
    [ "$rc" = 0 ] || return "$rc"
    # like OCA's checklog: a warning or an error in the log fails the run
    if grep -E ' (WARNING|ERROR|CRITICAL) ' "$log" >/dev/null; then
        say "the test log has warnings or errors:"; grep -E ' (WARNING|ERROR|CRITICAL) ' "$log" >&2
        return 1
    fi
    grep -E 'odoo.tests.result' "$log" >&2
}

# The fault and load tests (tests/test_reliability_*.py) at full length; `make test` runs
# them short. They start their own PostgreSQL server and multi-process Odoo; the figures
# close the output and go to .local/reliability.json.
cmd_reliability() {
    setup
    export LOAD_CLIENTS=${LOAD_CLIENTS:-20} LOAD_SECONDS=${LOAD_SECONDS:-60} LOAD_WORKERS=${LOAD_WORKERS:-4}
    export FAULT_CUSTOMERS=${FAULT_CUSTOMERS:-2000} FAULT_CLIENTS=${FAULT_CLIENTS:-20} FAULT_SECONDS=${FAULT_SECONDS:-60}
    # -p no:odoo: these tests drive Odoo in processes of their own, not pytest-odoo's
    "$VENV/bin/python" -m pytest -p no:odoo "$ROOT/tests/test_reliability_faults.py" \
        "$ROOT/tests/test_reliability_load.py" "$@"
}

cmd_bench() {  # the evaluation benchmark (BENCH_CUSTOMERS, default 100000)
    setup
    local n=${BENCH_CUSTOMERS:-100000} db
    db=${BENCH_DB:-delivery_crm_bench_$n}
    if ! db_exists "$db"; then
        say "creating benchmark database $db"
        odoo -d "$db" -i "$MODULE" --without-demo --stop-after-init --log-level=warn
    else
        odoo -d "$db" -u "$MODULE" --stop-after-init --log-level=warn
    fi
    "$VENV/bin/python" "$ROOT/bench/bench.py" --customers "$n" --db "$db" --config "$CONF" "$@"
}

# OCA's checkers (requirements-lint.txt) live in a virtual environment of their own:
# they require polib 1.2.* and Odoo 19 pins polib==1.1.1 in .venv.
LINT_VENV="$ROOT/.venv-lint"

ensure_lint_tools() {
    local stamp="$LINT_VENV/.requirements-stamp" want
    want=$(sha1sum "$ROOT/requirements-lint.txt" | cut -d' ' -f1)
    [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] && [ -x "$LINT_VENV/bin/python" ] && return
    say "installing OCA's checkers into .venv-lint (requirements-lint.txt)"
    [ -x "$LINT_VENV/bin/python" ] || "$VENV/bin/python" -m venv --without-pip --clear "$LINT_VENV"
    # pip from .venv installs into .venv-lint (no second copy of pip to download)
    "$VENV/bin/python" -m pip --python "$LINT_VENV/bin/python" install -q -r "$ROOT/requirements-lint.txt"
    echo "$want" > "$stamp"
}

cmd_lint() {  # every checker runs; the exit status says whether any of them found something
    ensure_venv
    ensure_odoo
    ensure_requirements
    ensure_lint_tools
    cd "$ROOT"
    local rc=0
    "$VENV/bin/ruff" check . || rc=1
    "$VENV/bin/ruff" format --check . || rc=1
    "$VENV/bin/pylint" --rcfile=.pylintrc "$MODULE" || rc=1
    # the manifest, XML and CSV files (configured by .oca_hooks.cfg)
    "$LINT_VENV/bin/oca-checks-odoo-module" "$MODULE" || rc=1
    # the translations; po-pretty-format is off as in OCA's template (Weblate formats them)
    "$LINT_VENV/bin/oca-checks-po" --disable=po-pretty-format "$MODULE"/i18n/*.po "$MODULE"/i18n/*.pot || rc=1
    [ "$rc" = 0 ] && say "lint: no findings"
    return "$rc"
}

cmd_screenshots() {  # docs/screenshots/*.png: the key screens on a fresh demo database
    setup
    local db="${TEST_DB}_shots" rc=0
    drop_db "$db"
    say "creating database $db with $MODULE and its demo data"
    odoo -d "$db" -i "$MODULE" --with-demo --stop-after-init --log-level=warn
    "$VENV/bin/python" "$ROOT/tools/screenshots.py" --config "$CONF" --db "$db" "$@" || rc=$?
    drop_db "$db" || say "could not drop $db (left for the next run to drop)"
    return $rc
}

cmd_backup() {  # $DB and its filestore as one zip in $BACKUP_DIR; keeps the newest $BACKUP_KEEP
    setup
    "$VENV/bin/python" "$ROOT/tools/backup.py" --config "$CONF" backup "$DB" \
        --dir "${BACKUP_DIR:-$ROOT/backups}" --keep "${BACKUP_KEEP:-14}"
}

cmd_restore() {  # FILE into $DB; FORCE=1 replaces an existing $DB, NEUTRALIZE=1 makes a test copy
    [ -n "${FILE:-}" ] || die "usage: make restore FILE=backups/<db>_<date>.zip [DB=target] [FORCE=1] [NEUTRALIZE=1]"
    setup
    local args=()
    [ "${FORCE:-0}" = 1 ] && args+=(--force)
    [ "${NEUTRALIZE:-0}" = 1 ] && args+=(--neutralize)
    "$VENV/bin/python" "$ROOT/tools/backup.py" --config "$CONF" restore "$FILE" "$DB" "${args[@]}"
    rm -f "$STATE/$DB.module-stamp"  # the restored module version: `make run` updates it
}

case "${1:-}" in
    setup) setup; say "ready: $("$VENV/bin/python" -V), Odoo in $ODOO_ROOT, config $CONF" ;;
    run) shift; cmd_run "$@" ;;
    testdb) cmd_testdb ;;
    test) shift; cmd_test "$@" ;;
    test-odoo) shift; cmd_test_odoo "$@" ;;
    reliability) shift; cmd_reliability "$@" ;;
    lint) cmd_lint ;;
    bench) shift; cmd_bench "$@" ;;
    screenshots) shift; cmd_screenshots "$@" ;;
    backup) cmd_backup ;;
    restore) cmd_restore ;;
    odoo) shift; setup; odoo "$@" ;;
    *) die "usage: tools/dev.sh setup|run|test|test-odoo|reliability|lint|bench|screenshots|backup|restore|odoo [args]" ;;
esac
