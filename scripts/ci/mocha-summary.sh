#!/usr/bin/env bash
# Read a mocha log (spec/dot reporter) and print "PASSING FAILING PENDING".
# Uses the last summary block in the file ("N passing (…)", then optional
# "N pending" / "N failing" lines); ANSI colours are ignored.
# Exit 1 (printing "0 0 0") when the log has no "N passing" line, i.e. mocha
# never reached its summary (crash, load error, killed).
set -euo pipefail

[ $# -eq 1 ] || { echo "usage: $0 MOCHA_LOG" >&2; exit 2; }
[ -r "$1" ] || { echo "0 0 0"; exit 1; }

awk '
  { gsub(/\033\[[0-9;]*[A-Za-z]/, ""); sub(/\r$/, "") }
  /^[[:space:]]*[0-9]+ passing([[:space:]]+\(.*\))?[[:space:]]*$/ {
    seen = 1; p = $1 + 0; f = 0; k = 0; next
  }
  seen && /^[[:space:]]*[0-9]+ pending[[:space:]]*$/ { k = $1 + 0; next }
  seen && /^[[:space:]]*[0-9]+ failing[[:space:]]*$/ { f = $1 + 0; next }
  END {
    printf "%d %d %d\n", p, f, k
    exit(seen ? 0 : 1)
  }
' "$1"
