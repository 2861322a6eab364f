-- wrk script: HTTP/1.1 pipelining, `depth` requests written back to back.
--
-- Usage: wrk -s pipeline.lua http://127.0.0.1:PORT/plaintext -- 16
-- Each call to request() hands wrk one buffer holding `depth` copies of the
-- GET for the URL's path; wrk counts every response it parses, so Requests/sec
-- is responses per second, as in the TechEmpower pipelined plaintext test.

local depth = 16
local batch = nil

function init(args)
  if args[1] ~= nil then
    depth = tonumber(args[1])
  end
  local one = wrk.format("GET", wrk.path)
  batch = string.rep(one, depth)
end

function request()
  return batch
end
