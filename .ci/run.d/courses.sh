#!/usr/bin/env bash
# Courses: serve the demo data (its summer course runs in three book rooms) with
# gunicorn and check the feeds of the course's rooms, the course's own feed (the calendar's
# course filter) and one course session with ../shared/tools/check_ics; then edit one
# lesson once (a new book) and check that each room's feed changed exactly that lesson's
# event, and the course's feed its three (one per room), UID kept and SEQUENCE up
# (--previous).
set -euo pipefail
cd "$(dirname "$0")/../.."
# shellcheck source=../lib/demo_server.sh
source .ci/lib/demo_server.sh
demo_server courses
fetch "$base/courses/" "$work/courses.html"

# The course's rooms, its id and its first session, from the database.
read -r -a rooms <<<"$("$PY" - <<'PYEOF'
from readingroom import create_app
from readingroom.extensions import db
from readingroom.schedule.courses import Course
app = create_app()
with app.app_context():
    course = db.session.scalars(db.select(Course)).one()
    rooms = " ".join(run.room.slug for run in course.runs)
    print(rooms, course.id, course.runs[0].sessions[0].id)
PYEOF
)"
session_id=${rooms[-1]}
unset 'rooms[-1]'
course_id=${rooms[-1]}
unset 'rooms[-1]'
[ "${#rooms[@]}" -eq 3 ] || { echo "courses: the demo course does not run in three rooms"; exit 1; }

from=$(date -u -d '-91 days' +%F)
to=$(date -u -d '+400 days' +%F)
for room in "${rooms[@]}"; do
  fetch "$base/feeds/room/$room.ics" "$work/before-$room.ics"
  status=0
  "$CHECK" --url "$base/feeds/room/$room.ics" --from "$from" --to "$to" >"$work/$room.out" 2>&1 || status=$?
  report "--url /feeds/room/$room.ics" "$work/$room.out" "$status"
done
fetch "$base/feeds/course/$course_id.ics" "$work/before-course.ics"
for feed in "feeds/course/$course_id.ics" "feeds/all.ics?course=$course_id&community=yaozhuang"; do
  status=0
  "$CHECK" --url "$base/$feed" --from "$from" --to "$to" >"$work/course.out" 2>&1 || status=$?
  report "--url /$feed" "$work/course.out" "$status"
done
status=0
"$CHECK" --url "$base/sessions/$session_id.ics" >"$work/session.out" 2>&1 || status=$?
report "--url /sessions/$session_id.ics" "$work/session.out" "$status"

# One lesson edit for every community.
"$PY" - <<'PYEOF'
from readingroom import create_app
from readingroom.extensions import db
from readingroom.schedule.course_operations import LessonData, update_lesson
from readingroom.schedule.courses import Lesson
app = create_app()
with app.app_context():
    lesson = db.session.scalars(db.select(Lesson).where(Lesson.number == 2)).one()
    data = LessonData(topic=lesson.topic, description=lesson.description,
                      suggested_books=lesson.suggested_books + "\n《爷爷一定有办法》（逗号, 分号;）",
                      materials=lesson.materials, host=lesson.host)
    assert len(update_lesson(lesson, data)) == 3
    db.session.commit()
PYEOF
changed_exactly() {  # changed_exactly NAME URL COUNT: the feed at URL vs before-NAME.ics
  fetch "$base$2" "$work/after-$1.ics"
  status=0
  "$CHECK" "$work/after-$1.ics" --previous "$work/before-$1.ics" --from "$from" --to "$to" \
    >"$work/prev-$1.out" 2>&1 || status=$?
  report "$2 after a lesson edit (--previous)" "$work/prev-$1.out" "$status"
  if ! grep -q "kept their UID, $3 changed, 0 new, 0 removed" "$work/prev-$1.out"; then
    echo "FAIL  $2: expected exactly $3 changed event(s) after the lesson edit"
    failed=1
  fi
}
for room in "${rooms[@]}"; do
  changed_exactly "$room" "/feeds/room/$room.ics" 1
done
changed_exactly course "/feeds/course/$course_id.ics" 3  # the lesson's session in each room
exit "$failed"
