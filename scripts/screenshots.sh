#!/usr/bin/env bash
# Regenerates the README's pictures from a real run: `callwatch demo` (release build) in a
# detached tmux session of 120x40, the live table captured with its colours, then the details
# of a completed call, each turned into an SVG by scripts/ansi_to_svg.py.
#
#   scripts/screenshots.sh            # writes assets/screenshots/{calls-table,call-details}.svg
#
# Needs: cargo, tmux, python3. Run it again whenever the screen changes.
set -euo pipefail

cd "$(dirname "$0")/.."
out=assets/screenshots
session="callwatch-screenshots-$$"
work="$(mktemp -d)"
trap 'tmux kill-session -t "$session" 2>/dev/null || true; rm -rf "$work"' EXIT

for tool in cargo tmux python3; do
    command -v "$tool" >/dev/null || { echo "screenshots.sh needs $tool" >&2; exit 1; }
done

cargo build --release --quiet
mkdir -p "$out"

# No config file, no log in the user's home: the picture shows the built-in defaults.
tmux new-session -d -s "$session" -x 120 -y 40 \
    "env CALLWATCH_CONFIG=/dev/null CALLWATCH_LOG_FILE=$work/callwatch.log TERM=xterm-256color \
     target/release/callwatch demo --seed 7 --rate 120 --color always"

capture() {
    tmux capture-pane -e -p -t "$session" >"$work/$1.ans"
    python3 scripts/ansi_to_svg.py --cols 120 --rows 40 --title "$2" <"$work/$1.ans" >"$out/$1.svg"
    echo "wrote $out/$1.svg"
}

# Long enough for the table to fill and for the first calls to reach their complete summary.
sleep 20
capture calls-table "callwatch demo"

# The details of the newest completed call with its complete summary (the filter line picks it).
tmux send-keys -t "$session" / 'state=completed processing=complete' Enter
sleep 1
tmux send-keys -t "$session" Enter
sleep 1
capture call-details "callwatch demo: call details"

tmux send-keys -t "$session" q
