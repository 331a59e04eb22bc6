#!/usr/bin/env bash
# Property-based API testing with Schemathesis (PyPI) over the server's own /openapi.json:
# every operation is called with generated valid and invalid input, as an admin and as a plain
# user, and every answer must be no 5xx, with a documented status, content type and schema.
#
#   bash scripts/schemathesis.sh            # installs Schemathesis into .servers/ when missing
#   bash scripts/schemathesis.sh --install  # only that install
#
# The server runs embedded on a fresh DATA_DIR with the limits raised (a 429 the run provokes is
# not what it is looking for). Bounded: SCHEMATHESIS_MAX_EXAMPLES cases per operation and phase
# (default 25) and SCHEMATHESIS_MAX_TIME seconds per role (default 150). Prints the case count,
# and fails when a role's run generated no case at all (a run that tested nothing is no pass).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
VERSION="4.32.5"
VENV="$ROOT/.servers/schemathesis-$VERSION"
ST="$VENV/bin/st"
MAX_EXAMPLES="${SCHEMATHESIS_MAX_EXAMPLES:-25}"
MAX_TIME="${SCHEMATHESIS_MAX_TIME:-150}"
OUT="$ROOT/.servers/schemathesis-run"

if [ ! -x "$ST" ]; then
  echo "schemathesis: installing $VERSION into .servers/" >&2
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q --disable-pip-version-check "schemathesis==$VERSION"
fi
# `bash scripts/schemathesis.sh --install`: only the install (CI does it beside its others).
if [ "${1:-}" = "--install" ]; then
  exit 0
fi

rm -rf "$OUT"
mkdir -p "$OUT"
PORT="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
BASE="http://127.0.0.1:$PORT"
env -u MONGODB_URL -u REDIS_URL \
  PORT="$PORT" HOST=127.0.0.1 DATA_DIR="$OUT/data" LOG_LEVEL=warn \
  ADMIN_USERNAME=admin ADMIN_PASSWORD=admin-password-1 ARGON2_MEMORY_KIB=1024 ARGON2_TIME_COST=1 \
  RATE_LOGIN_IP=1000000 RATE_LOGIN_USER=1000000 RATE_LOGIN_USER_IP=1000000 RATE_REGISTER_IP=1000000 \
  RATE_POST_USER=1000000 RATE_MESSAGE_USER=1000000 RATE_UPLOAD_USER=1000000 RATE_TICKET_USER=1000000 \
  RATE_EXPORTS_PER_DAY=1000000 \
  node --import tsx src/server.ts >"$OUT/server.log" 2>&1 &
SERVER=$!
trap 'kill "$SERVER" 2>/dev/null || true; wait "$SERVER" 2>/dev/null || true' EXIT
for _ in $(seq 1 300); do
  curl -fsS "$BASE/healthz" >/dev/null 2>&1 && break
  kill -0 "$SERVER" 2>/dev/null || {
    cat "$OUT/server.log" >&2
    exit 1
  }
  sleep 0.2
done

json() { python3 -c "import json,sys; print(json.load(sys.stdin)$1)"; }
# The number of test cases a run generated, from its JSON report (test_cases.generated); nothing
# printed, and a non-zero exit, when the report is missing or does not say.
generated() {
  python3 - "$1" <<'PY'
import json, sys
try:
    with open(sys.argv[1]) as f:
        n = json.load(f)["test_cases"]["generated"]
except (OSError, ValueError, KeyError, TypeError) as err:
    print(f"schemathesis: no case count in {sys.argv[1]}: {err!r}", file=sys.stderr)
    sys.exit(1)
if not isinstance(n, int) or isinstance(n, bool):
    print(f"schemathesis: no case count in {sys.argv[1]}: {n!r}", file=sys.stderr)
    sys.exit(1)
print(n)
PY
}
post() { curl -fsS -X POST -H 'content-type: application/json' "$@"; }
ADMIN_TOKEN="$(post "$BASE/api/auth/login" -d '{"username":"admin","password":"admin-password-1"}' | json "['token']")"
CODE="$(post "$BASE/api/admin/invite-codes" -H "authorization: Bearer $ADMIN_TOKEN" -d '{"count":1}' | json "['codes'][0]['code']")"
USER_TOKEN="$(post "$BASE/api/auth/register" -d "{\"username\":\"plain_user\",\"password\":\"password-123\",\"inviteCode\":\"$CODE\"}" | json "['token']")"

total=0
failed=0
for role in admin user; do
  token="$ADMIN_TOKEN"
  [ "$role" = user ] && token="$USER_TOKEN"
  echo "=== schemathesis as $role"
  rc=0
  # Logout would end the run's session; /ws is a WebSocket, not an HTTP answer.
  # Run from $OUT: Schemathesis keeps a cache (.schemathesis/) in its working directory.
  (cd "$OUT" && "$ST" run "$BASE/openapi.json" \
    -H "Authorization: Bearer $token" \
    --checks not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance \
    --exclude-path /api/auth/logout --exclude-path /ws \
    --phases examples,coverage,fuzzing \
    --max-examples "$MAX_EXAMPLES" --max-time "$MAX_TIME" --workers 2 \
    --seed 15 --no-color --request-timeout 20 \
    --report junit,json --report-junit-path "$OUT/junit-$role.xml" --report-json-path "$OUT/report-$role.json" \
    --warnings off) 2>&1 | tee "$OUT/$role.log" || rc=$?
  # A run that generated no case (a schema that did not load, every operation skipped, no time
  # left) exits 0 too: it fails here.
  n="$(generated "$OUT/report-$role.json")" || n=""
  if [ -z "$n" ] || [ "$n" -eq 0 ]; then
    echo "schemathesis as $role: no test case generated (exit $rc)" >&2
    failed=1
    n=0
  fi
  total=$((total + n))
  [ "$rc" -eq 0 ] || failed=1
  echo "schemathesis as $role: $n cases, exit $rc"
done
echo "schemathesis: $total cases in all"
if [ "$(grep -c '"level":50' "$OUT/server.log" || true)" -gt 0 ]; then
  echo "schemathesis: the server logged errors:" >&2
  grep '"level":50' "$OUT/server.log" | head -n 20 >&2
  failed=1
fi
exit "$failed"
