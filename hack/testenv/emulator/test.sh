#!/usr/bin/env bash
# Runs the emulator's own tests (boto3 against an in-process server) with the
# test environment's moto venv; arguments go to unittest (e.g. -k rollback).
. "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
[[ -x "$MOTO_VENV/bin/python" ]] || { log "moto is not installed yet: run make testenv"; exit 1; }
cd "$TESTENV_SRC/emulator"
exec "$MOTO_VENV/bin/python" -m unittest discover -s tests -t . "$@"
