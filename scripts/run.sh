#!/usr/bin/env bash
# `make run`: installs what is missing, trains if the model is missing or
# stale, gives this installation its secrets (var/secrets/), then hands over
# to scripts/supervise.py, which checks the ports, starts the action server,
# the Rasa server and the demo clinic page, prints where to talk to the
# assistant, restarts a server that stops, and stops everything on Ctrl-C.
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

say() { printf '\033[1m[run]\033[0m %s\n' "$*"; }

python -m actions.clinic_data
MODEL_PATH="$(python scripts/train_if_stale.py | tail -n 1)"

if [ -z "${RASA_AUTH_TOKEN:-}" ] && [ -z "${RASA_JWT_SECRET:-}" ]; then
  say "note: Rasa's HTTP API is off; set RASA_AUTH_TOKEN to turn it on (make retrain loads models through it)."
fi
exec python scripts/supervise.py --model "$MODEL_PATH"
