-- wrk script for bench/wrk-load.ts: every request POSTs its own record. The record's JSON comes
-- cut around its request_id in BODY_PREFIX and BODY_SUFFIX; ids are BODY_TAG-1, BODY_TAG-2, ...
local prefix = assert(os.getenv("BODY_PREFIX"), "BODY_PREFIX is not set")
local suffix = assert(os.getenv("BODY_SUFFIX"), "BODY_SUFFIX is not set")
local tag = os.getenv("BODY_TAG") or "wrk"
local path = os.getenv("BODY_PATH") or "/ingest"
local headers = { ["Content-Type"] = os.getenv("BODY_TYPE") or "application/json" }
local n = 0

request = function()
  n = n + 1
  return wrk.format("POST", path, headers, prefix .. tag .. "-" .. n .. suffix)
end

-- One machine-readable line: the counts, and wrk's own CPU (utime + stime from /proc, in clock
-- ticks) so the bench can say what the load generator cost.
done = function(summary, latency, requests)
  local f = io.open("/proc/self/stat")
  local ticks = -1
  if f then
    local fields = {}
    for w in f:read("*a"):match("%) (.*)"):gmatch("%S+") do fields[#fields + 1] = w end
    f:close()
    ticks = tonumber(fields[12]) + tonumber(fields[13])
  end
  local e = summary.errors
  io.write(string.format('WRK_RESULT {"requests":%d,"non2xx":%d,"socketErrors":%d,"durationUs":%d,"cpuTicks":%d}\n',
    summary.requests, e.status, e.connect + e.read + e.write + e.timeout, summary.duration, ticks))
end
