-- wrk: POST one MCP request after another. The bearer token, the era and
-- the request come from the environment: MCP_TOKEN; MCP_ERA (2025-11-25 on
-- a session opened beforehand, MCP_SESSION; or 2026-07-28, sessionless, with
-- the standard headers and `_meta` the revision asks of every request);
-- MCP_METHOD (tools/call by default, of MCP_TOOL with {"text": "bench"};
-- or server/discover, tools/list). Each request gets its own JSON-RPC id.
local counter = 0
local tool = os.getenv("MCP_TOOL") or "echo"
local method = os.getenv("MCP_METHOD") or "tools/call"
local era = os.getenv("MCP_ERA") or "2025-11-25"
local headers = {
  ["Content-Type"] = "application/json",
  ["Accept"] = "application/json, text/event-stream",
  ["Authorization"] = "Bearer " .. os.getenv("MCP_TOKEN"),
  ["MCP-Protocol-Version"] = era,
}
local session = os.getenv("MCP_SESSION") or ""
if session ~= "" then
  headers["Mcp-Session-Id"] = session
end

local params = ""
if method == "tools/call" then
  params = string.format('"name":"%s","arguments":{"text":"bench"}', tool)
end
if era == "2026-07-28" then
  headers["Mcp-Method"] = method
  if method == "tools/call" then
    headers["Mcp-Name"] = tool
  end
  local meta = '"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28",'
    .. '"io.modelcontextprotocol/clientInfo":{"name":"bench","version":"1"},'
    .. '"io.modelcontextprotocol/clientCapabilities":{}}'
  params = params == "" and meta or (params .. "," .. meta)
end

request = function()
  counter = counter + 1
  local body = string.format('{"jsonrpc":"2.0","id":%d,"method":"%s","params":{%s}}',
    counter, method, params)
  return wrk.format("POST", nil, headers, body)
end
