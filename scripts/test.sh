#!/usr/bin/env bash
# `make test`: the whole test suite on a fresh machine. Installs what is
# missing (virtualenv, Debian's chromium for the browser tests), checks that
# PostgreSQL and Redis answer (their tests must not be skipped), trains the
# model if it is stale, lints, audits the locked packages for known
# vulnerabilities (scripts/audit.sh), then runs pytest. Extra arguments go to
# pytest.
set -euo pipefail

PROJECT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$PROJECT_DIR"
bash scripts/setup.sh

say() { printf '\033[1m[test]\033[0m %s\n' "$*"; }

if ! command -v chromium >/dev/null 2>&1; then
  say "installing Debian's chromium for the browser tests"
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium >/dev/null
fi

# shellcheck disable=SC1091
source .venv/bin/activate
export TF_CPP_MIN_LOG_LEVEL=3 SQLALCHEMY_SILENCE_UBER_WARNING=1 RASA_TELEMETRY_ENABLED=false
export TEST_POSTGRES_URL="${TEST_POSTGRES_URL:-postgresql://postgres@127.0.0.1:5432/test}"
export TEST_REDIS_URL="${TEST_REDIS_URL:-redis://127.0.0.1:6379/15}"

python - <<'PY'
import os, socket, sys
from urllib.parse import urlsplit
for name in ("TEST_POSTGRES_URL", "TEST_REDIS_URL"):
    url = urlsplit(os.environ[name])
    try:
        socket.create_connection((url.hostname, url.port), timeout=5).close()
    except OSError as error:
        sys.exit(f"[test] {name} ({url.hostname}:{url.port}) is not reachable: {error}. "
                 "The integration tests need real PostgreSQL and Redis servers; start them and retry.")
PY

say "lint"
ruff check .

say "audit"
bash scripts/audit.sh

MODEL_PATH="$(python scripts/train_if_stale.py | tail -n 1)"
export ASSISTANT_MODEL_PATH="$MODEL_PATH"
say "pytest (model: $(basename "$MODEL_PATH"))"
python -m pytest "$@"
