#!/bin/sh
# expect_exit.sh CODE REGEX COMMAND [ARGS...]
# Passes when COMMAND exits with CODE (not a crash) and its output matches REGEX.
code="$1"; regex="$2"; shift 2
out=$("$@" 2>&1); got=$?
printf '%s\n' "$out"
if [ "$got" -ne "$code" ]; then echo "expected exit $code, got $got" >&2; exit 1; fi
printf '%s\n' "$out" | grep -Eq -- "$regex" || { echo "output does not match: $regex" >&2; exit 1; }
