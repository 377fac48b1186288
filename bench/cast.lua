-- wrk script for bench/cast.py (Debian's wrk 4.x: `apt-get install wrk`).
--
-- Without BENCH_BODIES: GET the path given to wrk (the bare hello route).
-- With BENCH_BODIES: POST one distinct body per request, read from that file (one JSON body a
-- line); thread k of BENCH_THREADS sends lines k, k+T, k+2T, … so no body is sent twice.  Each
-- thread writes "status leaf_hash" per response to BENCH_OUT<k>.txt, for the checks after the run.
-- Both write wrk's own summary and latency percentiles as JSON to BENCH_SUMMARY.
-- Nothing here installs or writes anything outside the files it is given.

local bodies_file = os.getenv("BENCH_BODIES")
local nthreads = tonumber(os.getenv("BENCH_THREADS") or "1")
local out_prefix = os.getenv("BENCH_OUT")
local summary_file = os.getenv("BENCH_SUMMARY")
local counter = 0

function setup(thread)
  thread:set("id", counter)
  counter = counter + 1
end

local bodies, n, idx, out, exhausted = {}, 0, 1, nil, false

function init(args)
  if bodies_file == nil then
    return
  end
  local i = 0
  for line in io.lines(bodies_file) do
    if i % nthreads == id then
      n = n + 1
      bodies[n] = line
    end
    i = i + 1
  end
  out = io.open(out_prefix .. id .. ".txt", "w")
  out:setvbuf("line")
end

local headers = {["Content-Type"] = "application/json"}

function request()
  if bodies_file == nil then
    return wrk.request()
  end
  if idx > n then
    -- Out of distinct ballots: stop this thread (bench/cast.py reports it and asks for more).
    if not exhausted then
      exhausted = true
      out:write("exhausted -\n")
      wrk.thread:stop()
    end
    return wrk.format("GET", "/__bench/hello")
  end
  local body = bodies[idx]
  idx = idx + 1
  return wrk.format("POST", wrk.path, headers, body)
end

if bodies_file ~= nil then
  function response(status, headers, body)
    local leaf = nil
    if status == 201 or status == 200 then
      leaf = string.match(body, '"leaf_hash":%s*"(%x+)"')
    end
    out:write(status, " ", leaf or "-", "\n")
  end
end

function done(summary, latency, requests)
  local f = io.open(summary_file, "w")
  f:write(string.format(
    '{"duration_us": %d, "requests": %d, "bytes": %d, "connect_errors": %d, "read_errors": %d, "write_errors": %d, ' ..
    '"status_errors": %d, "timeouts": %d, "p50_us": %d, "p90_us": %d, "p95_us": %d, "p99_us": %d, "max_us": %d, "mean_us": %.1f}\n',
    summary.duration, summary.requests, summary.bytes, summary.errors.connect, summary.errors.read, summary.errors.write,
    summary.errors.status, summary.errors.timeout, latency:percentile(50), latency:percentile(90), latency:percentile(95),
    latency:percentile(99), latency.max, latency.mean))
  f:close()
end
