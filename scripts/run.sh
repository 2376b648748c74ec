#!/usr/bin/env bash
# `make run`: installs what is missing, trains if the model is missing or
# stale, starts the action server, the Rasa server and the demo clinic page,
# prints where to talk to the assistant, and stops everything on Ctrl-C.
set -euo pipefail

PROJECT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$PROJECT_DIR"
bash scripts/setup.sh

# shellcheck disable=SC1091
source .venv/bin/activate
export TF_CPP_MIN_LOG_LEVEL="${TF_CPP_MIN_LOG_LEVEL:-3}"
export SQLALCHEMY_SILENCE_UBER_WARNING=1
export RASA_TELEMETRY_ENABLED=false
python settings.py --create-secrets
eval "$(python settings.py --export)"
mkdir -p var/logs

say() { printf '\033[1m[run]\033[0m %s\n' "$*"; }

python -m actions.clinic_data
MODEL_PATH="$(python scripts/train_if_stale.py | tail -n 1)"

PIDS=()
stop_all() {
  trap - INT TERM EXIT
  if [ "${#PIDS[@]}" -gt 0 ]; then
    say "stopping..."
    kill "${PIDS[@]}" 2>/dev/null || true
    wait "${PIDS[@]}" 2>/dev/null || true
  fi
}
trap stop_all INT TERM EXIT

wait_for() {  # wait_for <name> <url> <seconds>
  local deadline=$((SECONDS + $3))
  until curl -fsS -o /dev/null "$2" 2>/dev/null; do
    if [ "$SECONDS" -ge "$deadline" ]; then
      say "$1 did not start within $3 s; see var/logs/"
      exit 1
    fi
    sleep 1
  done
}

say "starting the action server on port $ACTION_SERVER_PORT (log: var/logs/action-server.log)"
python -m actions.server >var/logs/action-server.log 2>&1 &
PIDS+=($!)

if [ -z "${RASA_AUTH_TOKEN:-}" ] && [ -z "${RASA_JWT_SECRET:-}" ]; then
  say "note: Rasa's HTTP API is off; set RASA_AUTH_TOKEN to turn it on (make retrain loads models through it)."
fi
say "starting the Rasa server on port $RASA_PORT (log: var/logs/rasa.log)"
# Rasa's own `rasa run`, through the project's launcher (it says why, and adds
# the interface, API token and request size from settings.py).
# shellcheck disable=SC2086
python -m rasa_extensions.rasa_command run --model "$MODEL_PATH" --port "$RASA_PORT" \
  --cors ${CORS_ORIGINS//,/ } --credentials credentials.yml --endpoints endpoints.yml \
  >var/logs/rasa.log 2>&1 &
PIDS+=($!)

say "starting the demo clinic site on port $DEMO_SITE_PORT (log: var/logs/demo-site.log)"
python demo_site/serve.py --host "$BIND_ADDRESS" --port "$DEMO_SITE_PORT" --assistant-url "http://localhost:$RASA_PORT" \
  >var/logs/demo-site.log 2>&1 &
PIDS+=($!)

wait_for "The action server" "http://localhost:$ACTION_SERVER_PORT/health" 60
wait_for "The Rasa server" "http://localhost:$RASA_PORT/webhooks/rest/" 180
wait_for "The demo clinic site" "http://localhost:$DEMO_SITE_PORT/" 20

cat <<MSG

  The assistant is running.
    Demo clinic page with the chat widget:  http://localhost:$DEMO_SITE_PORT/
    REST:  curl -s localhost:$RASA_PORT/webhooks/rest/webhook \\
             -H 'Content-Type: application/json' \\
             -d '{"sender": "visitor-1", "message": "does it hurt?"}'
  Press Ctrl-C to stop.

MSG
wait -n "${PIDS[@]}"
say "a server stopped unexpectedly; see var/logs/"
exit 1
