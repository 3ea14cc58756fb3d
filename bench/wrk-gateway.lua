-- wrk script for bench/gateway-pusher.bench.ts: REQ_METHOD to REQ_PATH with REQ_BODY (none when
-- empty); prints the same WRK_RESULT line as wrk-post.lua.
local method = os.getenv("REQ_METHOD") or "GET"
local path = os.getenv("REQ_PATH") or "/"
local body = os.getenv("REQ_BODY") or ""
local headers = {}
if body ~= "" then headers["Content-Type"] = "application/json" else body = nil end

request = function()
  return wrk.format(method, path, headers, body)
end

done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format('WRK_RESULT {"requests":%d,"non2xx":%d,"socketErrors":%d,"durationUs":%d}\n',
    summary.requests, e.status, e.connect + e.read + e.write + e.timeout, summary.duration))
end
