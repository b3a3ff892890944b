# Sourced by the .ci/run.d feed checks: a throw-away SQLite database with the demo data,
# served by gunicorn (two workers) on a free loopback port, stopped and removed on exit.
#   demo_server NAME   sets $work, $base, $server and starts; fetch URL FILE downloads;
#   report LABEL OUTPUT-FILE STATUS   prints what check_ics ($CHECK) found, sets failed=1.
# Run from the checkout's top folder; VENV (default .venv) and CHECK_ICS may be set.

VENV=${VENV:-.venv}
PY="$VENV/bin/python"
CHECK=${CHECK_ICS:-../shared/tools/check_ics/check_ics}
failed=0

report() {  # report LABEL OUTPUT-FILE STATUS
  if [ "$3" -eq 0 ]; then
    echo "ok    $1 ($(grep -c '^  ' "$2" || true) occurrences)"
    grep -E '^(WARN|INFO  \[vs previous\])' "$2" || true
  else
    echo "FAIL  $1"
    grep -E '^(ERROR|WARN)' "$2" || tail -20 "$2"
    failed=1
  fi
}

work=$(mktemp -d)
server=""
cleanup() {
  if [ -n "$server" ]; then
    kill "$server" 2>/dev/null || true
    wait "$server" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

fetch() {  # fetch URL FILE
  "$PY" - "$1" "$2" <<'PYEOF'
import sys, urllib.request
with urllib.request.urlopen(sys.argv[1], timeout=30) as response:
    open(sys.argv[2], "wb").write(response.read())
PYEOF
}

demo_server() {  # demo_server NAME: seed, serve, wait until / answers
  export DATABASE_URL="sqlite:///$work/demo.sqlite3"
  export SECRET_KEY="ci-$1"
  export PUBLIC_BASE_URL="http://127.0.0.1"  # production mode needs it; the port follows
  "$VENV/bin/flask" --app readingroom init-db >"$work/seed.log" 2>&1
  "$VENV/bin/flask" --app readingroom seed-demo >>"$work/seed.log" 2>&1
  local port
  port=$("$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  base="http://127.0.0.1:$port"
  export PUBLIC_BASE_URL="$base"
  "$VENV/bin/gunicorn" -w 2 -b "127.0.0.1:$port" "readingroom:create_app()" >"$work/server.log" 2>&1 &
  server=$!
  for _ in $(seq 1 50); do
    if fetch "$base/" "$work/home.html" 2>/dev/null; then return 0; fi
    sleep 0.2
  done
  fetch "$base/" "$work/home.html" || { echo "$1: server did not start"; cat "$work/server.log"; exit 1; }
}
