-- wrk: POST one MCP tools/call after another on a session opened beforehand.
-- The session, the bearer token and the tool come from the environment
-- (MCP_SESSION, MCP_TOKEN, MCP_TOOL); each request gets its own JSON-RPC id.
local counter = 0
local tool = os.getenv("MCP_TOOL") or "echo"
local headers = {
  ["Content-Type"] = "application/json",
  ["Accept"] = "application/json, text/event-stream",
  ["Authorization"] = "Bearer " .. os.getenv("MCP_TOKEN"),
  ["MCP-Protocol-Version"] = "2025-11-25",
}
if os.getenv("MCP_SESSION") ~= "" then
  headers["Mcp-Session-Id"] = os.getenv("MCP_SESSION")
end

request = function()
  counter = counter + 1
  local body = string.format(
    '{"jsonrpc":"2.0","id":%d,"method":"tools/call","params":{"name":"%s","arguments":{"text":"bench"}}}',
    counter, tool)
  return wrk.format("POST", nil, headers, body)
end
