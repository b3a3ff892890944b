#!/usr/bin/env bash
# Operations (issue 14), the README's commands by hand on SQLite: init-db, the worker
# started, refusing a second one, stopped by SIGTERM; backup and restore into a fresh file.
# (nginx in front of two gunicorn instances, tests/test_ops_nginx.py, and two workers on
# PostgreSQL, tests/test_ops_worker_postgres.py, run in .ci/run's PostgreSQL suite, where
# REQUIRE_NGINX=1 and REQUIRE_POSTGRES=1 turn their skips into failures.)
set -euo pipefail
cd "$(dirname "$0")/../.."
VENV=${VENV:-.venv}
PY="$VENV/bin/python"
FLASK="$VENV/bin/flask"

work=$(mktemp -d)
worker=""
cleanup() {
  if [ -n "$worker" ]; then kill "$worker" 2>/dev/null || true; wait "$worker" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

echo "== the worker and backup/restore by hand (SQLite)"
export DATABASE_URL="sqlite:///$work/site.sqlite3"
export SECRET_KEY="ci-ops"
export PUBLIC_BASE_URL="https://reading.binhe.example"
"$FLASK" --app readingroom init-db >"$work/setup.log" 2>&1
"$FLASK" --app readingroom seed-demo >>"$work/setup.log" 2>&1
"$FLASK" --app readingroom worker >"$work/worker.log" 2>&1 &
worker=$!
for _ in $(seq 100); do grep -q "purge:" "$work/worker.log" && break; sleep 0.2; done
grep -q "deliver-notices: " "$work/worker.log"
if "$FLASK" --app readingroom worker >"$work/second.log" 2>&1; then
  echo "a second worker on SQLite was not refused"; exit 1
fi
grep -q "One worker is enough on SQLite" "$work/second.log"
kill -TERM "$worker"
wait "$worker"  # exit status 0, or set -e stops here
worker=""
grep -q "stopped" "$work/worker.log"

"$FLASK" --app readingroom backup "$work/site.backup"
DATABASE_URL="sqlite:///$work/restored.sqlite3" "$FLASK" --app readingroom restore --yes "$work/site.backup"
"$PY" - "$work/site.sqlite3" "$work/restored.sqlite3" <<'PYEOF'
import sqlite3, sys
counts = []
for path in sys.argv[1:]:
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok", path
    counts.append([conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
                   for t in ("reading_session", "registration", "household", "household_notice")])
    conn.close()
assert counts[0] == counts[1], counts
print("restored:", dict(zip(("sessions", "registrations", "households", "notices"), counts[1])))
PYEOF
sed -n 's/^.*readingroom.worker: //p' "$work/worker.log"
