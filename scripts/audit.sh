#!/usr/bin/env bash
# `make audit` (and part of `make test`): checks every locked package
# (constraints.txt, and the model package) for known vulnerabilities with
# pip-audit, which lives in a virtualenv of its own (.venv-audit/, versions
# in security/audit-tool-requirements.txt) so it never disturbs Rasa's pins.
# pip-audit reads the lock file only (--no-deps --disable-pip): nothing is
# installed or resolved. scripts/audit_report.py then fails the run on any
# finding not listed in security/audit-exceptions.yml; a vulnerability
# service that cannot be reached is reported, not failed.
set -euo pipefail

PROJECT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$PROJECT_DIR"
AUDIT_VENV="$PROJECT_DIR/.venv-audit"
TOOL_REQUIREMENTS="security/audit-tool-requirements.txt"

say() { printf '\033[1m[audit]\033[0m %s\n' "$*"; }

stamp="$(sha256sum "$TOOL_REQUIREMENTS" | cut -c1-16)"
if [ ! -x "$AUDIT_VENV/bin/pip-audit" ] || [ "$(cat "$AUDIT_VENV/.requirements-stamp" 2>/dev/null)" != "$stamp" ]; then
  say "installing pip-audit into $AUDIT_VENV"
  rm -rf "$AUDIT_VENV"
  # The project's interpreter (Python 3.10), set up by scripts/setup.sh.
  "$(.venv/bin/python -c 'import sys, os; print(os.path.join(sys.base_prefix, "bin", "python3"))')" -m venv "$AUDIT_VENV"
  if ! "$AUDIT_VENV/bin/pip" install --quiet --no-deps -r "$TOOL_REQUIREMENTS" >"$AUDIT_VENV.log" 2>&1; then
    say "NOT CHECKED: pip-audit could not be installed (is PyPI reachable?): $(tail -n 1 "$AUDIT_VENV.log")"
    rm -rf "$AUDIT_VENV" "$AUDIT_VENV.log"
    exit 0
  fi
  rm -f "$AUDIT_VENV.log"
  echo "$stamp" >"$AUDIT_VENV/.requirements-stamp"
fi

report="$(mktemp)"
locked="$(mktemp)"
trap 'rm -f "$report" "$report.log" "$locked"' EXIT
# Every locked package as name==version (the model package without its hash:
# pip-audit wants hashes on all lines or none).
{ cat constraints.txt; sed -e 's/ *--hash=[^ ]*//g' requirements-model.txt; } >"$locked"
# Exit status 1 means "vulnerabilities found" (the report judges them);
# anything else without a report means the tool could not run.
set +e
"$AUDIT_VENV/bin/pip-audit" --requirement "$locked" --no-deps --disable-pip --vulnerability-service pypi \
  --progress-spinner off --format json --output "$report" 2>"$report.log"
status=$?
set -e
if [ ! -s "$report" ]; then
  say "NOT CHECKED: pip-audit did not run to the end (exit $status): $(tail -n 1 "$report.log")"
  exit 0
fi
.venv/bin/python scripts/audit_report.py "$report" security/audit-exceptions.yml
