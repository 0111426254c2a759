#!/usr/bin/env bash
# Soak test of the listener (issue 7): a release `callwatch listen --record` under 2,000
# deliveries/s, 5% of them bad (tampered, malformed, oversize by Content-Length and chunked,
# slow, stalled heads), from examples/soak_load.rs: a warm-up, then the 60 s soak proper, in
# one uninterrupted load. Checks that
#   - the listener never crashes and exits 0 on SIGTERM afterwards,
#   - every delivery it acknowledged (2xx) is in the recording,
#   - its memory is flat during the soak: VmRSS, sampled every 5 s, grows from the end of the
#     warm-up to the end by less than MAX_BYTES_PER_REQUEST per request sent meanwhile (64 B:
#     a leak of anything a request allocates, its body or its Delivery, is kilobytes; the
#     allocator's occasional step of a few MiB is not). The warm-up is there because two
#     bounded structures fill first: the 100,000 event ids of the dedupe window (50 s at
#     2,000/s) and the --max-calls store.
# Prints the load's per-kind outcomes, the RSS samples and a SOAK line; exits 1 on a failure.
#
# Knobs (environment): RATE=2000 WARMUP_SECONDS=60 SOAK_SECONDS=60 BAD_PERCENT=5
# MAX_CALLS=5000 CONNECTIONS=64 MAX_BYTES_PER_REQUEST=64 OUT=target/soak
set -euo pipefail
cd "$(dirname "$0")/.."

RATE=${RATE:-2000}
WARMUP_SECONDS=${WARMUP_SECONDS:-60}
SOAK_SECONDS=${SOAK_SECONDS:-60}
TOTAL_SECONDS=$(( WARMUP_SECONDS + SOAK_SECONDS ))
BAD_PERCENT=${BAD_PERCENT:-5}
MAX_CALLS=${MAX_CALLS:-5000}
CONNECTIONS=${CONNECTIONS:-64}
MAX_BYTES_PER_REQUEST=${MAX_BYTES_PER_REQUEST:-64}
OUT=${OUT:-target/soak}
PUBLIC_URL=http://soak.local/events
TOKEN=soak-token

cargo build --release --quiet --bin callwatch --example soak_load
mkdir -p "$OUT"
rm -f "$OUT"/recording.ndjson "$OUT"/acked.txt "$OUT"/rss.txt

# A free port: one nothing answers on.
PORT=""
for p in $(seq 47100 47300); do
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then PORT=$p; break; fi
done
[ -n "$PORT" ] || { echo "soak: no free port in 47100-47300" >&2; exit 1; }

target/release/callwatch listen --port "$PORT" --public-url "$PUBLIC_URL" --auth-token "$TOKEN" \
    --output quiet --record "$OUT/recording.ndjson" --max-calls "$MAX_CALLS" \
    >"$OUT/listen.stdout" 2>"$OUT/listen.stderr" &
PID=$!
trap 'kill "$PID" 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do
    (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null && break
    sleep 0.1
done

START=$(date +%s)
(
    while kill -0 "$PID" 2>/dev/null; do
        rss=$(awk '/^VmRSS/ {print $2}' "/proc/$PID/status" 2>/dev/null || true)
        [ -n "$rss" ] && echo "$(( $(date +%s) - START )) $rss" >>"$OUT/rss.txt"
        sleep 5
    done
) &
SAMPLER=$!

LOAD_OK=0
target/release/examples/soak_load load --addr "127.0.0.1:$PORT" --public-url "$PUBLIC_URL" \
    --auth-token "$TOKEN" --rate "$RATE" --seconds "$TOTAL_SECONDS" --bad-percent "$BAD_PERCENT" \
    --connections "$CONNECTIONS" --acked "$OUT/acked.txt" | tee "$OUT/load.txt" || LOAD_OK=$?

ALIVE=yes
kill -0 "$PID" 2>/dev/null || ALIVE=no
kill -TERM "$PID" 2>/dev/null || true
EXIT=0
wait "$PID" || EXIT=$?
trap - EXIT
kill "$SAMPLER" 2>/dev/null || true
wait "$SAMPLER" 2>/dev/null || true

echo "listener stderr: $(tr '\n' ' ' <"$OUT/listen.stderr")"
CHECK_OK=0
target/release/examples/soak_load check --acked "$OUT/acked.txt" --recording "$OUT/recording.ndjson" \
    | tee "$OUT/check.txt" || CHECK_OK=$?

echo "VmRSS (s kB):"
sed 's/^/  /' "$OUT/rss.txt"
# Flat: the last sample taken under load against the first one after the warm-up.
read -r MID_T MID <<<"$(awk -v h="$WARMUP_SECONDS" '$1 >= h {print $1, $2; exit}' "$OUT/rss.txt")"
read -r END_T END <<<"$(awk -v s="$TOTAL_SECONDS" '$1 <= s {t = $1; v = $2} END {print t, v}' "$OUT/rss.txt")"
PEAK=$(awk 'BEGIN {m = 0} $2 > m {m = $2} END {print m}' "$OUT/rss.txt")
GROWTH=$(awk -v a="$MID" -v b="$END" 'BEGIN {printf "%.1f", (b - a) * 100 / a}')
PER_REQUEST=$(awk -v a="$MID" -v b="$END" -v t0="$MID_T" -v t1="$END_T" -v r="$RATE" \
    'BEGIN {n = (t1 - t0) * r; printf "%.1f", (n > 0 ? (b - a) * 1024 / n : 0)}')
FLAT=yes
awk -v g="$PER_REQUEST" -v max="$MAX_BYTES_PER_REQUEST" 'BEGIN {exit !(g >= max)}' && FLAT=no

echo "SOAK alive_after_load=$ALIVE exit_after_sigterm=$EXIT load_clean=$([ $LOAD_OK = 0 ] && echo yes || echo no)" \
     "acked_all_recorded=$([ $CHECK_OK = 0 ] && echo yes || echo no)" \
     "rss_after_warmup_kb=$MID rss_end_kb=$END rss_peak_kb=$PEAK growth_pct=$GROWTH" \
     "growth_bytes_per_request=$PER_REQUEST flat=$FLAT"
[ "$ALIVE" = yes ] && [ "$EXIT" = 0 ] && [ "$LOAD_OK" = 0 ] && [ "$CHECK_OK" = 0 ] && [ "$FLAT" = yes ]
