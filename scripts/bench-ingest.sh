#!/usr/bin/env bash
# End-to-end ingest benchmark (issue 7): the release listener driven over loopback with
# distinct, pre-signed, realistic deliveries, next to a bare hyper server under the same load.
#
# Prints, each with the load average when it was taken:
#   1. requests/s, p50/p99 latency and non-2xx under wrk (closed loop) for the bare hyper server
#      (examples/bare_hyper.rs), `callwatch listen --output quiet`, and the same with --record,
#      with the ratio to bare hyper (budget: at least 70%), and the server's CPU time per request;
#      then bare hyper doing only the signature check, and that plus parse_delivery
#      (examples/bare_hyper.rs --work), to show where the time goes;
#   2. latency at a fixed 1,000 deliveries/s (examples/paced_load.rs, open loop; budget: p99
#      under 5 ms), without and with --record;
#   3. the listener's resident memory (VmRSS) once 100,000 calls (every delivery of each) have
#      come in over HTTP, with --output quiet and with --output ndjson (budget: under 200 MiB);
#   3b. the same after 100,000 live calls, each with six progress events, 30 metric samples and
#      two summaries, batched 10 events to a delivery (examples/live_memory.rs; budget: under
#      350 MiB);
#   4. with --with-node, a 2-process Node/Express receiver using Twilio's own
#      validateRequestWithBody, under the same wrk load (budget: callwatch at least 4x it).
#
# Usage: scripts/bench-ingest.sh [--duration 10] [--connections 64] [--threads 2] [--rounds 1]
#          [--rate 1000] [--paced-seconds 30] [--paced-connections 32] [--memory-rate 8000]
#          [--requests 400000]
#          [--kind summaries|metrics]
#          [--skip-record] [--skip-steps] [--skip-paced] [--skip-memory] [--with-node] [--out target/bench-ingest]
#
# --kind metrics loads the listener with live metric-sample deliveries (examples/presign.rs
# --kind metrics) instead of call summaries, for steps 1 and 2.
#
# Ends with the budgets checked and which were missed; exits 1 when one was (2 on bad usage).
#
# Load generator and servers share the machine's cores: run it when the machine is quiet.
set -euo pipefail

DURATION=10
CONNECTIONS=64
THREADS=2
ROUNDS=1
RATE=1000
PACED_SECONDS=30
# Twilio delivers over many connections at once; with --record each waits for an fsync, so a
# handful of connections would cap the rate below 1,000/s on a slow disk.
PACED_CONNECTIONS=32
MEMORY_RATE=8000
REQUESTS=400000
SKIP_RECORD=0
SKIP_STEPS=0
SKIP_PACED=0
SKIP_MEMORY=0
WITH_NODE=0
KIND=summaries
OUT=target/bench-ingest
PUBLIC_URL=http://bench.local/events
TOKEN=bench-token

while [ $# -gt 0 ]; do
  case "$1" in
    --duration) DURATION=$2; shift 2 ;;
    --connections) CONNECTIONS=$2; shift 2 ;;
    --threads) THREADS=$2; shift 2 ;;
    --rounds) ROUNDS=$2; shift 2 ;;
    --rate) RATE=$2; shift 2 ;;
    --paced-seconds) PACED_SECONDS=$2; shift 2 ;;
    --paced-connections) PACED_CONNECTIONS=$2; shift 2 ;;
    --memory-rate) MEMORY_RATE=$2; shift 2 ;;
    --requests) REQUESTS=$2; shift 2 ;;
    --out) OUT=$2; shift 2 ;;
    --kind) KIND=$2; shift 2 ;;
    --skip-record) SKIP_RECORD=1; shift ;;
    --skip-steps) SKIP_STEPS=1; shift ;;
    --skip-paced) SKIP_PACED=1; shift ;;
    --skip-memory) SKIP_MEMORY=1; shift ;;
    --with-node) WITH_NODE=1; shift ;;
    -h|--help) sed -n '2,25p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "bench-ingest: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done

cd "$(dirname "$0")/.."
ROOT=$(pwd)
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
REQ_DIR="$OUT/requests-$KIND"
BIN="$ROOT/target/release"
PIDS=()

cleanup() {
  for pid in "${PIDS[@]:-}"; do
    [ -n "$pid" ] && kill "$pid" 2>/dev/null || true
  done
}
trap cleanup EXIT

loadavg() { cut -d' ' -f1-3 /proc/loadavg; }

say() { printf '%s\n' "$*"; }

if ! command -v wrk >/dev/null; then
  say "bench-ingest: installing wrk (Debian package)"
  if [ "$(id -u)" = 0 ]; then apt-get install -y wrk >/dev/null; else sudo apt-get install -y wrk >/dev/null; fi
fi

say "bench-ingest: building (release)"
cargo build --release --quiet --bin callwatch --example presign --example bare_hyper --example paced_load \
  --example live_memory

# Distinct signed deliveries, one file per wrk thread; regenerated when the parameters change.
WANT="requests=$REQUESTS files=$THREADS url=$PUBLIC_URL kind=$KIND"
if [ "$(cat "$REQ_DIR/params" 2>/dev/null || true)" != "$WANT" ]; then
  rm -rf "$REQ_DIR"
  "$BIN/examples/presign" --out "$REQ_DIR" --requests "$REQUESTS" --files "$THREADS" \
    --public-url "$PUBLIC_URL" --auth-token "$TOKEN" --kind "$KIND"
  echo "$WANT" > "$REQ_DIR/params"
fi
DELIVERIES_100K=$(sed -n 's/.*deliveries_for_100000_calls=\([0-9]*\).*/\1/p' "$REQ_DIR/summary.txt")

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])' 2>/dev/null \
    || echo $((20000 + RANDOM % 30000))
}

wait_port() {
  local port=$1
  for _ in $(seq 1 200); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then return 0; fi
    sleep 0.05
  done
  say "bench-ingest: nothing answers on port $port" >&2
  return 1
}

SERVER_PID=
# start_server NAME PORT: starts one of bare | quiet | record | ndjson | node on PORT.
start_server() {
  local name=$1 port=$2
  case "$name" in
    bare) "$BIN/examples/bare_hyper" "$port" > /dev/null & ;;
    bare+verify) "$BIN/examples/bare_hyper" "$port" --work verify > /dev/null & ;;
    bare+verify+parse) "$BIN/examples/bare_hyper" "$port" --work parse > /dev/null & ;;
    quiet) "$BIN/callwatch" listen --port "$port" --output quiet --public-url "$PUBLIC_URL" --auth-token "$TOKEN" & ;;
    record)
      rm -f "$OUT/recording.ndjson"
      "$BIN/callwatch" listen --port "$port" --output quiet --public-url "$PUBLIC_URL" --auth-token "$TOKEN" \
        --record "$OUT/recording.ndjson" 2> /dev/null & ;;
    ndjson)
      # Every line goes to /dev/null except gap lines, which say deliveries were not shown.
      "$BIN/callwatch" listen --port "$port" --output ndjson --public-url "$PUBLIC_URL" --auth-token "$TOKEN" \
        > >(grep '"type":"gap"' > "$OUT/gaps.ndjson") & ;;
    node) (cd "$OUT/node" && PORT=$port AUTH_TOKEN=$TOKEN PUBLIC_BASE=${PUBLIC_URL%/events} exec node server.js) & ;;
  esac
  SERVER_PID=$!
  PIDS+=("$SERVER_PID")
  wait_port "$port"
}

stop_server() {
  pkill -P "$SERVER_PID" 2>/dev/null || true # node's cluster workers
  kill "$SERVER_PID" 2>/dev/null || true
  wait "$SERVER_PID" 2>/dev/null || true
  SERVER_PID=
}

field() { sed -n "s/.* $1=\([^ ]*\).*/\1/p" <<< " $2"; }

# cpu_ticks PID: user + system CPU ticks of a process and its children (node's workers).
cpu_ticks() {
  local total=0 pid
  for pid in "$1" $(pgrep -P "$1" 2>/dev/null); do
    total=$((total + $(awk '{print $14 + $15}' "/proc/$pid/stat" 2>/dev/null || echo 0)))
  done
  echo "$total"
}

declare -A RPS
CHECKED=0
MISSED=()
# budget OK WHAT: counts a budget check; remembers WHAT when OK is 0.
budget() {
  CHECKED=$((CHECKED + 1))
  [ "$1" = 1 ] || MISSED+=("$2")
}
# wrk_run NAME: closed-loop load on a fresh server; prints one line, remembers requests/s.
wrk_run() {
  local name=$1 port load result
  port=$(free_port)
  start_server "$name" "$port"
  sleep 0.5
  load=$(loadavg)
  local ticks_before ticks_after
  ticks_before=$(cpu_ticks "$SERVER_PID")
  result=$(wrk -t "$THREADS" -c "$CONNECTIONS" -d "${DURATION}s" -s "$ROOT/scripts/wrk-presigned.lua" \
    "http://127.0.0.1:$port/events" -- "$REQ_DIR" | grep '^RESULT')
  ticks_after=$(cpu_ticks "$SERVER_PID")
  stop_server
  local rps p50 p99 non2xx errors wraps requests cpu
  rps=$(field rps "$result"); p50=$(field p50_us "$result"); p99=$(field p99_us "$result")
  non2xx=$(field non2xx "$result"); errors=$(field socket_errors "$result"); wraps=$(field wraps "$result")
  requests=$(field requests "$result")
  # The server's own CPU time per request (user + system): steadier than requests/s when the
  # load generator and the server share the cores.
  cpu=$(echo "($ticks_after - $ticks_before) * 1000000 / $(getconf CLK_TCK) / ${requests:-1}" | bc -l)
  RPS[$name]=$rps
  printf '  %-22s %8s req/s   server CPU %5.1f us/req   p50 %6.2f ms   p99 %6.2f ms   non-2xx %s   socket errors %s   replayed %s   (load %s)\n' \
    "$name" "$rps" "$cpu" "$(echo "$p50/1000" | bc -l)" "$(echo "$p99/1000" | bc -l)" "$non2xx" "$errors" "$wraps" "$load"
}

ratio() { echo "scale=0; 100 * $1 / $2" | bc; }

say ""
say "== 1. closed loop: wrk -t $THREADS -c $CONNECTIONS -d ${DURATION}s, distinct signed deliveries ($KIND: 2 KB summaries or 1.3 KB metric samples; $(nproc) cores shared by wrk and the server)"
for round in $(seq 1 "$ROUNDS"); do
  [ "$ROUNDS" -gt 1 ] && say " round $round"
  wrk_run bare
  wrk_run quiet
  say "  callwatch / bare hyper: $(ratio "${RPS[quiet]}" "${RPS[bare]}")%   (budget: at least 70%)"
  budget "$(( RPS[quiet] * 100 >= 70 * RPS[bare] ))" \
    "ingest at least 70% of bare hyper (round $round: $(ratio "${RPS[quiet]}" "${RPS[bare]}")%)"
  if [ "$SKIP_STEPS" = 0 ]; then
    # Where the time goes: bare hyper doing only callwatch's signature check, then that and
    # parse_delivery (examples/bare_hyper.rs --work).
    wrk_run bare+verify
    wrk_run bare+verify+parse
    say "  bare hyper + verify: $(ratio "${RPS[bare+verify]}" "${RPS[bare]}")%, + parse_delivery: $(ratio "${RPS[bare+verify+parse]}" "${RPS[bare]}")% of bare hyper"
  fi
  if [ "$SKIP_RECORD" = 0 ]; then
    wrk_run record
    say "  callwatch --record / bare hyper: $(ratio "${RPS[record]}" "${RPS[bare]}")%   (budget: at least 70%)"
    budget "$(( RPS[record] * 100 >= 70 * RPS[bare] ))" \
      "ingest with --record at least 70% of bare hyper (round $round: $(ratio "${RPS[record]}" "${RPS[bare]}")%)"
  fi
done

if [ "$WITH_NODE" = 1 ]; then
  say ""
  say "== 4. Node/Express receiver, 2 processes, twilio.validateRequestWithBody"
  mkdir -p "$OUT/node"
  if [ ! -d "$OUT/node/node_modules/twilio" ]; then
    (cd "$OUT/node" && npm init -y > /dev/null && npm install --silent express twilio > /dev/null)
  fi
  cat > "$OUT/node/server.js" <<'EOF'
// The receiver most Twilio users would write: Express, Twilio's helper library, one worker
// per core (cluster).
const cluster = require("node:cluster");
const os = require("node:os");
if (cluster.isPrimary) {
  for (let i = 0; i < Math.min(2, os.availableParallelism()); i++) cluster.fork();
} else {
  const express = require("express");
  const twilio = require("twilio");
  const app = express();
  app.post("/events", express.text({ type: "*/*", limit: "1mb" }), (req, res) => {
    const url = process.env.PUBLIC_BASE + req.originalUrl;
    const ok = twilio.validateRequestWithBody(process.env.AUTH_TOKEN, req.get("x-twilio-signature") || "", url, req.body);
    if (!ok) return res.status(403).send("rejected\n");
    JSON.parse(req.body);
    res.status(200).send("ok\n");
  });
  app.listen(Number(process.env.PORT), "127.0.0.1");
}
EOF
  wrk_run node
  say "  callwatch / node: $(echo "scale=1; ${RPS[quiet]} / ${RPS[node]}" | bc)x   (budget: at least 4x)"
  budget "$(( RPS[quiet] >= 4 * RPS[node] ))" "callwatch at least 4x the Node receiver"
fi

# paced NAME RATE COUNT|'' SECONDS: open-loop load at a fixed rate on a fresh server.
paced() {
  local name=$1 port load result
  port=$(free_port)
  start_server "$name" "$port"
  sleep 0.5
  load=$(loadavg)
  result=$("$BIN/examples/paced_load" --addr "127.0.0.1:$port" --dir "$REQ_DIR" --rate "$RATE" \
    --seconds "$PACED_SECONDS" --connections "$PACED_CONNECTIONS" | grep '^RESULT')
  stop_server
  printf '  %-22s %6s/s for %ss   p50 %5.2f ms   p99 %5.2f ms   p99.9 %5.2f ms   max %6.2f ms   non-2xx %s   errors %s   (load %s)\n' \
    "$name" "$(field rate "$result")" "$PACED_SECONDS" \
    "$(echo "$(field p50_us "$result")/1000" | bc -l)" "$(echo "$(field p99_us "$result")/1000" | bc -l)" \
    "$(echo "$(field p999_us "$result")/1000" | bc -l)" "$(echo "$(field max_us "$result")/1000" | bc -l)" \
    "$(field non2xx "$result")" "$(field errors "$result")" "$load"
  if [ "$name" != bare ]; then
    local p99_us
    p99_us=$(field p99_us "$result")
    budget "$(( ${p99_us:-999999} < 5000 ))" "$name: p99 under 5 ms at $RATE/s (p99 ${p99_us:-?} us)"
  fi
}

if [ "$SKIP_PACED" = 0 ]; then
  say ""
  say "== 2. fixed rate: $RATE deliveries/s for ${PACED_SECONDS}s over $PACED_CONNECTIONS connections (examples/paced_load; budget: p99 under 5 ms)"
  paced bare
  paced quiet
  [ "$SKIP_RECORD" = 0 ] && paced record
fi

# memory NAME: VmRSS of a fresh listener once the first 100,000 calls are in.
memory() {
  local name=$1 port load result rss
  port=$(free_port)
  start_server "$name" "$port"
  sleep 0.5
  load=$(loadavg)
  result=$("$BIN/examples/paced_load" --addr "127.0.0.1:$port" --dir "$REQ_DIR" --rate "$MEMORY_RATE" \
    --count "$DELIVERIES_100K" --connections 8 | grep '^RESULT')
  sleep 2 # let the presentation side drain its queue
  rss=$(awk '/^VmRSS/ {print $2}' "/proc/$SERVER_PID/status")
  stop_server
  local gaps="not reported in quiet mode"
  if [ "$name" = ndjson ]; then
    sleep 0.2
    gaps="$(awk -F'"dropped":' '{split($2, a, /[,}]/); n += a[1]} END {print n + 0}' "$OUT/gaps.ndjson") deliveries not shown (gap)"
  fi
  printf '  %-22s %s deliveries (100,000 calls) at %s/s: VmRSS %s MiB   non-2xx %s   %s   (load %s)\n' \
    "$name" "$(field answered "$result")" "$MEMORY_RATE" "$(echo "scale=1; $rss/1024" | bc)" \
    "$(field non2xx "$result")" "$gaps" "$load"
  budget "$(( ${rss:-999999999} < 200 * 1024 ))" "$name: under 200 MiB after 100,000 calls (VmRSS ${rss:-?} KiB)"
}

if [ "$SKIP_MEMORY" = 0 ]; then
  say ""
  if [ -z "$DELIVERIES_100K" ]; then
    say "== 3. memory: skipped, $REQUESTS requests hold fewer than 100,000 calls (use --requests 400000)"
  else
    say "== 3. memory after 100,000 calls over HTTP (budget: under 200 MiB)"
    memory quiet
    memory ndjson
  fi
  say "== 3b. memory after 100,000 live calls over HTTP (6 progress events, 30 metric samples, 2 summaries each; budget: under 350 MiB)"
  port=$(free_port)
  start_server quiet "$port"
  sleep 0.5
  load=$(loadavg)
  result=$("$BIN/examples/live_memory" --addr "127.0.0.1:$port" --calls 100000 --connections 4 | grep '^RESULT')
  sleep 2
  rss=$(awk '/^VmRSS/ {print $2}' "/proc/$SERVER_PID/status")
  stop_server
  printf '  %-22s %s: VmRSS %s MiB   (load %s)\n' live "$result" "$(echo "scale=1; $rss/1024" | bc)" "$load"
  budget "$(( ${rss:-999999999} < 350 * 1024 ))" "live: under 350 MiB after 100,000 live calls (VmRSS ${rss:-?} KiB)"
fi

say ""
if [ "${#MISSED[@]}" = 0 ]; then
  say "== budgets: all $CHECKED checked were met"
else
  say "== budgets: ${#MISSED[@]} of $CHECKED checked were missed"
  for missed in "${MISSED[@]}"; do say "  missed: $missed"; done
  exit 1
fi
