#!/usr/bin/env bash
# Create the virtualenv with Python 3.11, installing Debian's venv support when it is missing.
set -euo pipefail
python=${1:-python3}; venv=${2:-.venv}
[ -x "$venv/bin/python" ] && exit 0
if [ -z "$python" ] || ! "$python" -c 'import sys; assert sys.version_info >= (3, 11)' 2>/dev/null; then
  echo "Python 3.11 or newer is required (set PYTHON=/path/to/python3.11)" >&2; exit 1
fi
if ! "$python" -m venv "$venv" 2>/dev/null; then
  rm -rf "$venv"
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    apt-get update -qq && apt-get install -y -qq python3-venv python3-dev >/dev/null
    "$python" -m venv "$venv"
  else
    echo "cannot create a virtualenv: install python3-venv (sudo apt-get install python3-venv)" >&2; exit 1
  fi
fi
"$venv/bin/pip" install --disable-pip-version-check -q --upgrade pip
