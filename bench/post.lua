-- wrk: POST /v1/mcp-servers, each with a name no other request uses.
-- wrk prints "Non-2xx or 3xx responses" itself when any answer is not 201.
local counter = 0
thread_tag = "main"

function setup(thread)
  thread:set("thread_tag", tostring(math.random(1, 1e9)) .. "-" .. tostring(os.time()))
end

request = function()
  counter = counter + 1
  local body = string.format(
    '{"name":"bench-%s-%d","url":"https://mcp.example.com/mcp",'
      .. '"api_key":"sk-bench-0123456789abcdef0123456789","description":"benchmark server"}',
    thread_tag, counter)
  return wrk.format("POST", "/v1/mcp-servers", {["Content-Type"] = "application/json"}, body)
end
