-- `npm run bench`'s wrk script, run with one thread (wrk -t1). BENCH_LOAD names
-- a file of "name value" lines written by bench/wrk.mjs:
--   requests <file>  raw HTTP requests, each as "<byte length>\n<bytes>", sent in turn
--   chain <file>     refresh tokens, one a line: each is sent once, in `path`'s body
--                    field `field`, and a 200's new token joins the queue
--   path, field      for chain
-- done() prints one line "WRK {json}".

local settings = {}
local path = os.getenv("BENCH_LOAD") or error("BENCH_LOAD is not set")
for line in io.lines(path) do
  local name, value = line:match("^(%S+) (.*)$")
  if name then settings[name] = value end
end

-- Per thread (wrk copies this script into each); read back in done().
statuses = {}
failed = 0
first_failure = ""
starved = 0

local prebuilt, count, turn = {}, 0, 0
local queue, head, tail = {}, 1, 0
local chain = settings.chain ~= nil
local token_pattern = chain and ('"' .. settings.field .. '":"([^"]+)"') or nil
local json = { ["Content-Type"] = "application/json" }

function init()
  if chain then
    for line in io.lines(settings.chain) do
      if #line > 0 then tail = tail + 1; queue[tail] = line end
    end
    return
  end
  local file = assert(io.open(settings.requests, "rb"))
  local data = file:read("*a")
  file:close()
  local at = 1
  while at <= #data do
    local newline = data:find("\n", at, true)
    local length = tonumber(data:sub(at, newline - 1))
    count = count + 1
    prebuilt[count] = data:sub(newline + 1, newline + length)
    at = newline + length + 1
  end
end

function request()
  if chain then
    local token = "queue-empty"
    if head <= tail then
      token = queue[head]; queue[head] = nil; head = head + 1
    else
      starved = starved + 1
    end
    return wrk.format("POST", settings.path, json, '{"' .. settings.field .. '":"' .. token .. '"}')
  end
  turn = turn % count + 1
  return prebuilt[turn]
end

function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
  if status < 200 or status > 299 then
    failed = failed + 1
    if first_failure == "" then first_failure = status .. " " .. body:sub(1, 300) end
    return
  end
  if chain then
    local token = body:match(token_pattern)
    if token then tail = tail + 1; queue[tail] = token end
  end
end

local threads = {}
function setup(thread) threads[#threads + 1] = thread end

local function quoted(text)
  return '"' .. text:gsub('[%c"\\]', function(c) return string.format("\\u%04x", c:byte()) end) .. '"'
end

function done(summary, latency)
  local codes, non2xx, empty, failure = {}, 0, 0, ""
  for _, thread in ipairs(threads) do
    non2xx = non2xx + thread:get("failed")
    empty = empty + thread:get("starved")
    if failure == "" then failure = thread:get("first_failure") end
    for code, n in pairs(thread:get("statuses")) do codes[#codes + 1] = string.format('"%d":%d', code, n) end
  end
  local e = summary.errors
  io.write(string.format(
    'WRK {"requests":%d,"durationUs":%d,"p50Us":%d,"p99Us":%d,"non2xx":%d,"starved":%d,' ..
    '"errors":%d,"timeouts":%d,"statuses":{%s},"firstFailure":%s}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99), non2xx, empty,
    e.connect + e.read + e.write, e.timeout, table.concat(codes, ","), quoted(failure)))
end
