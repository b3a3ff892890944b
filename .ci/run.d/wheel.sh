#!/usr/bin/env bash
# The production install: build the sdist and, from it, the wheel (python -m build,
# isolated, as `pip install .` does), install the wheel into a fresh venv, make the
# installed package read-only, create the schema on a scratch SQLite database with
# `flask db upgrade`, serve it with gunicorn and check that / answers 200, in
# Chinese by default and in English on request, with its stylesheet. Everything
# runs outside the checkout, so that nothing is imported from the source tree.
# Run as root, the app runs as `nobody` (root ignores the read-only bits); the
# package tree must be unchanged afterwards either way. Exits non-zero on
# any failure.
set -euo pipefail
cd "$(dirname "$0")/../.."
repo=$(pwd)
VENV=${VENV:-.venv}
PY="$repo/$VENV/bin/python"
[[ "$VENV" = /* ]] && PY="$VENV/bin/python"

work=$(mktemp -d)
server=""
cleanup() {
  if [ -n "$server" ]; then
    kill "$server" 2>/dev/null || true
    wait "$server" 2>/dev/null || true
  fi
  chmod -R u+w "$work" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "wheel: $*"; exit 1; }

echo "wheel: building"
"$PY" -m build --outdir "$work/dist" . >"$work/build.log" 2>&1 || { tail -30 "$work/build.log"; fail "build failed"; }
wheel=$(ls "$work"/dist/*.whl)

# Run as root, the app runs as `nobody`: root ignores the read-only bits. nobody
# must be able to run the venv's interpreter (a pyenv Python under /root is not).
as_app=()
python=$(${PYTHON:-python3} -c 'import sys; print(sys.executable)')
if [ "$(id -u)" = 0 ]; then
  as_app=(setpriv --reuid=nobody --regid=nogroup --clear-groups env HOME="$work/data")
  if ! "${as_app[@]}" "$python" -c 'pass' 2>/dev/null; then
    if "${as_app[@]}" /usr/bin/python3 -c 'import sys, venv; assert sys.version_info >= (3, 11)' 2>/dev/null; then
      python=/usr/bin/python3
    else
      echo "wheel: no Python that nobody may run: the app runs as root (the unchanged-tree check still applies)"
      as_app=()
    fi
  fi
  chmod 755 "$work"
fi

cd "$work"
"$python" -m venv "$work/venv"
"$work/venv/bin/pip" install -q "$wheel" >"$work/pip.log" 2>&1 || { tail -30 "$work/pip.log"; fail "pip install failed"; }
package=$("$work/venv/bin/python" -c 'import pathlib, readingroom; print(pathlib.Path(readingroom.__file__).parent)')
case "$package" in
  "$work/venv/"*) ;;
  *) fail "readingroom was imported from $package, not from the installed wheel" ;;
esac
for needed in templates/base.html translations/zh/LC_MESSAGES/messages.mo migrations/alembic.ini \
  migrations/script.py.mako calendars/openapi.json static/style.css; do
  [ -f "$package/$needed" ] || fail "the wheel lacks readingroom/$needed"
done
chmod -R a-w "$package"
find "$package" -printf '%P %s %T@\n' | sort >"$work/package.before"

# The app's writable places: the database folder and Flask's instance folder
# (<venv>/var/readingroom-instance for an installed package).
mkdir -p "$work/data" "$work/venv/var/readingroom-instance"
[ "${#as_app[@]}" -eq 0 ] || chown nobody "$work/data" "$work/venv/var/readingroom-instance"

export DATABASE_URL="sqlite:///$work/data/app.sqlite3"
export PUBLIC_BASE_URL="http://127.0.0.1"  # production mode needs it; the port follows
export SECRET_KEY="ci-wheel"
"${as_app[@]}" "$work/venv/bin/flask" --app readingroom db upgrade >"$work/upgrade.log" 2>&1 \
  || { cat "$work/upgrade.log"; fail "flask db upgrade failed"; }

port=$("$work/venv/bin/python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
base="http://127.0.0.1:$port"
export PUBLIC_BASE_URL="$base"
"${as_app[@]}" "$work/venv/bin/gunicorn" -w 2 -b "127.0.0.1:$port" "readingroom:create_app()" >"$work/server.log" 2>&1 &
server=$!

fetch() {  # fetch URL FILE [ACCEPT-LANGUAGE]: the body into FILE, the status on stdout
  "$work/venv/bin/python" - "$@" <<'EOF'
import sys, urllib.error, urllib.request
request = urllib.request.Request(sys.argv[1])
if len(sys.argv) > 3:
    request.add_header("Accept-Language", sys.argv[3])
try:
    with urllib.request.urlopen(request, timeout=30) as response:
        status, body = response.status, response.read()
except urllib.error.HTTPError as error:
    status, body = error.code, error.read()
open(sys.argv[2], "wb").write(body)
print(status)
EOF
}

for _ in $(seq 1 50); do
  if fetch "$base/" "$work/home.html" >/dev/null 2>&1; then break; fi
  kill -0 "$server" 2>/dev/null || break
  sleep 0.2
done
status=$(fetch "$base/" "$work/home.html") || { cat "$work/server.log"; fail "the server did not start"; }
[ "$status" = 200 ] || { cat "$work/server.log"; fail "/ answered $status"; }
grep -q 'lang="zh-Hans"' "$work/home.html" || fail '/ is not served as lang="zh-Hans"'
grep -q '活动日历' "$work/home.html" || fail '/ lacks the Chinese UI string 活动日历 (catalogue not compiled?)'

status=$(fetch "$base/" "$work/home-en.html" "en")
[ "$status" = 200 ] || fail "/ in English answered $status"
grep -q 'lang="en"' "$work/home-en.html" || fail '/ with Accept-Language: en is not lang="en"'
grep -q 'Activity calendar' "$work/home-en.html" || fail '/ in English lacks "Activity calendar"'

status=$(fetch "$base/static/style.css" "$work/style.css")
[ "$status" = 200 ] || fail "/static/style.css answered $status"

if grep -E "Traceback|is missing: pages will be in English" "$work/server.log" "$work/upgrade.log"; then
  fail "errors in the logs"
fi
find "$package" -printf '%P %s %T@\n' | sort >"$work/package.after"
diff "$work/package.before" "$work/package.after" || fail "the app wrote into its installed package"
echo "wheel: ok ($(basename "$wheel"), installed read-only, / served in Chinese and English)"
