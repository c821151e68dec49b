#!/usr/bin/env bash
# CityPatrol developer entry point.
#   ./dev.sh start   set up everything, start a local server with a demo account and the app
#   ./dev.sh test    set up everything, run lint, type checks and the whole test suite
#   ./dev.sh package build the client bundle and the Linux installers (.deb, AppImage) in dist/
set -euo pipefail
cd "$(dirname "$0")"
command="${1:-}"
shift || true
case "$command" in
  start)
    scripts/setup.sh
    exec .venv/bin/python scripts/demo.py "$@"
    ;;
  test)
    scripts/setup.sh
    .venv/bin/ruff check .
    .venv/bin/ruff format --check .
    .venv/bin/mypy
    # Both cores (pytest-xdist); a file's tests stay on one worker so its module-scoped servers
    # start once. PYTEST_WORKERS=0 runs in one process (e.g. to debug with -s or --pdb).
    exec .venv/bin/python -m pytest -n "${PYTEST_WORKERS:-2}" --dist loadfile "$@"
    ;;
  package)
    scripts/setup.sh
    exec .venv/bin/python scripts/package_linux.py "$@"
    ;;
  *)
    echo "usage: ./dev.sh start|test|package [args]" >&2
    exit 2
    ;;
esac
