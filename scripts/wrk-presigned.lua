-- wrk script for scripts/bench-ingest.sh: sends the pre-signed raw requests written by
-- examples/presign.rs (`<length>\n<request>` records), thread i reading DIR/requests.i, so that
-- every request is a distinct delivery. Usage: wrk -t T -c C -d D -s wrk-presigned.lua URL -- DIR
-- At the end it prints one `RESULT key=value ...` line for the script to read.

local threads = {}
local next_id = 0

function setup(thread)
  thread:set("id", next_id)
  next_id = next_id + 1
  table.insert(threads, thread)
end

function init(args)
  local dir = args[1] or "target/bench-ingest"
  local path = dir .. "/requests." .. id
  file = io.open(path, "rb")
  if file == nil then
    error("cannot open " .. path)
  end
  wraps = 0
end

function request()
  local line = file:read("*l")
  if line == nil then
    -- Out of distinct requests: start over (they are duplicates from now on; counted).
    file:seek("set", 0)
    wraps = wraps + 1
    line = file:read("*l")
  end
  return file:read(tonumber(line))
end

function done(summary, latency, requests)
  local wrapped = 0
  for _, t in ipairs(threads) do
    wrapped = wrapped + (t:get("wraps") or 0)
  end
  local e = summary.errors
  io.write(string.format(
    "RESULT requests=%d duration_us=%d rps=%.0f p50_us=%d p90_us=%d p99_us=%d max_us=%d non2xx=%d socket_errors=%d wraps=%d\n",
    summary.requests, summary.duration, summary.requests / (summary.duration / 1e6),
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max,
    e.status, e.connect + e.read + e.write + e.timeout, wrapped))
end
