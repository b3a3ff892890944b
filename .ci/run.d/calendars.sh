#!/usr/bin/env bash
# Calendars: serve the demo data with gunicorn (two workers, a throw-away SQLite
# database) and check every kind of feed with ../shared/tools/check_ics: the
# whole-site feed, a community, a room, a strand, a filtered feed, single
# sessions (a moved and a cancelled one too), demo families' private feeds, the same over HTTP (--url:
# Content-Type, ETag/Last-Modified, 304), and UID/SEQUENCE stability across an
# edit (--previous). Exits non-zero on any finding of level ERROR.
set -euo pipefail
cd "$(dirname "$0")/../.."
# shellcheck source=../lib/demo_server.sh
source .ci/lib/demo_server.sh
demo_server calendars

# Sessions to download one by one: the first, the cancelled and the moved occurrence.
# The API answers 93 days at a time: follow its `next` links.
"$PY" - "$base/api/v1/sessions?start=$(date -d '-90 days' +%F)&end=$(date -d '+270 days' +%F)" "$work/api.json" <<'EOF'
import json, sys, urllib.request
url, items = sys.argv[1], []
while url:
    with urllib.request.urlopen(url, timeout=30) as response:
        page = json.load(response)
    items += page["sessions"]
    url = page["next"]
json.dump({"sessions": items}, open(sys.argv[2], "w"))
EOF
read -r -a session_ids <<<"$("$PY" - "$work/api.json" <<'EOF'
import json, sys
items = json.load(open(sys.argv[1]))["sessions"]
picked = [items[0]["id"]]
picked += [s["id"] for s in items if s["status"] == "cancelled"][:1]
picked += [s["id"] for s in items if "移至" in s["title"]][:1]
print(" ".join(str(i) for i in picked))
EOF
)"
[ "${#session_ids[@]}" -ge 3 ] || { echo "calendars: demo data lacks a cancelled or moved session"; exit 1; }

from=$(date -u -d '-91 days' +%F)
to=$(date -u -d '+400 days' +%F)
paths=(
  /feeds/all.ics
  /feeds/community/yaozhuang.ics
  /feeds/community/sunzhuang.ics
  /feeds/room/yaozhuang-peony.ics
  /feeds/room/xinhua-bookstore.ics
  /feeds/program/parent-child.ics
  /feeds/program/senior.ics
  "/feeds/all.ics?community=yaozhuang&program=parent-child&age=5"
)
for id in "${session_ids[@]}"; do paths+=("/sessions/$id.ics"); done

# The demo families' private feeds (their confirmed and waitlisted sessions).
read -r -a household_paths <<<"$("$PY" - <<'EOF'
from readingroom import create_app
from readingroom.extensions import db
from readingroom.families.models import Household
from readingroom.families.operations import feed_token
app = create_app()
with app.app_context():
    tokens = [feed_token(h) for h in db.session.scalars(db.select(Household).order_by(Household.id))]
    print(" ".join(f"/feeds/household/{t}.ics" for t in tokens[:3] if t))
EOF
)"
[ "${#household_paths[@]}" -ge 1 ] || { echo "calendars: demo data has no household feed"; exit 1; }
paths+=("${household_paths[@]}")


# --url checks the bytes with all four parsers like a file check, and also
# Content-Type, ETag/Last-Modified and the 304 answers. Two at a time.
fetch "$base/feeds/all.ics" "$work/before.ics"
# The first check_ics on a new machine installs the tool: one run alone before the
# parallel ones (two first runs at once race on its virtual environment).
status=0
"$CHECK" "$work/before.ics" --from "$from" --to "$to" >"$work/first.out" 2>&1 || status=$?
report "all.ics as a file" "$work/first.out" "$status"
pids=()
n=0
for path in "${paths[@]}"; do
  n=$((n + 1))
  ( status=0
    "$CHECK" --url "$base$path" --from "$from" --to "$to" >"$work/check-$n.out" 2>&1 || status=$?
    echo "$status" >"$work/check-$n.rc" ) &
  pids+=($!)
  if [ $((n % 2)) -eq 0 ]; then wait "${pids[@]}"; pids=(); fi
done
[ "${#pids[@]}" -eq 0 ] || wait "${pids[@]}"
n=0
for path in "${paths[@]}"; do
  n=$((n + 1))
  report "--url $path" "$work/check-$n.out" "$(cat "$work/check-$n.rc")"
done

# An edit: UIDs stay, SEQUENCE goes up, the feed changes.
"$PY" - <<'EOF'
from dataclasses import replace
from readingroom import create_app
from readingroom.extensions import db
from readingroom.schedule.models import ReadingSession, SessionStatus
from readingroom.schedule.operations import SessionData, update_session
from readingroom.timeutil import utcnow
app = create_app()
with app.app_context():
    s = db.session.scalars(
        db.select(ReadingSession)
        .where(ReadingSession.starts_at > utcnow(), ReadingSession.status == SessionStatus.SCHEDULED)
        .order_by(ReadingSession.starts_at)
    ).first()
    data = SessionData(program=s.program, room=s.room, title=s.title + "（改期，逗号, 分号; 新行）",
                       starts_at=s.starts_at, ends_at=s.ends_at, capacity=s.capacity,
                       description=s.description, host=s.host, suggested_books=s.suggested_books)
    update_session(s, data)
    db.session.commit()
EOF
fetch "$base/feeds/all.ics" "$work/after.ics"
status=0
"$CHECK" "$work/after.ics" --previous "$work/before.ics" --from "$from" --to "$to" >"$work/prev.out" 2>&1 || status=$?
report "all.ics after an edit (--previous)" "$work/prev.out" "$status"
if cmp -s "$work/before.ics" "$work/after.ics"; then
  echo "FAIL  the feed did not change after an edit"
  failed=1
fi

exit "$failed"
