#!/usr/bin/env bash
# The whole test suite: once on SQLite, then the database tests once more on PostgreSQL
# when it is reachable (always under CI=true, where an unreachable PostgreSQL fails).
set -uo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 TOKENIZERS_PARALLELISM=false
export SECRET_KEY="${SECRET_KEY:-test-secret-key-not-for-production}"
export DEBUG="${DEBUG:-false}"

# Browser tests drive Debian's chromium; install it when missing (root only).
if [ ! -x /usr/bin/chromium ] && [ "$(id -u)" = 0 ]; then
  (apt-get update -qq && apt-get install -y -qq chromium >/dev/null) \
    || echo "warning: could not install chromium; browser tests will fail under CI=true"
fi

PG_URL="${TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/test}"
pg_up() { "$BIN/python" - "$PG_URL" <<'PY'
import sys, psycopg
try:
    psycopg.connect(sys.argv[1].replace("postgres://", "postgresql://"), connect_timeout=3).close()
except Exception as exc:
    print(f"PostgreSQL not reachable: {exc}", file=sys.stderr); sys.exit(1)
PY
}

status=0
echo "== pytest on SQLite (all but the service-backed tests) =="
env -u DATABASE_URL "$BIN/pytest" -m "not services" "$@" || status=$?

if pg_up; then
  echo "== database and service-backed tests on PostgreSQL ($PG_URL) and Redis =="
  DATABASE_URL="$PG_URL" "$BIN/pytest" -m "database or services" -p no:cacheprovider "$@" || status=$?
elif [ "${CI:-}" = "true" ]; then
  echo "PostgreSQL is required under CI=true"; status=1
else
  echo "PostgreSQL not reachable: the PostgreSQL pass was not run"
fi
exit $status
