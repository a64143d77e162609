// The TypeScript MCP SDK's client, as an agent would use it: connect,
// every page of tools/list, then each call of the JSON list CALLS
// ([name, arguments] pairs). Prints one JSON report like sdk_client.py's.
// Usage: node sdk_client.cjs URL TOKEN CALLS
const { Client } = require("@modelcontextprotocol/sdk/client/index.js");
const { StreamableHTTPClientTransport } = require("@modelcontextprotocol/sdk/client/streamableHttp.js");

async function main() {
  const [url, token, calls] = [process.argv[2], process.argv[3], JSON.parse(process.argv[4])];
  const transport = new StreamableHTTPClientTransport(new URL(url), {
    requestInit: { headers: { Authorization: `Bearer ${token}` } },
  });
  const client = new Client({ name: "gateway-test", version: "1.0.0" });
  await client.connect(transport);
  const report = { server: client.getServerVersion().name, tools: [], calls: [] };
  let cursor;
  do {
    const page = await client.listTools(cursor ? { cursor } : {});
    report.tools.push(...page.tools.map((tool) => tool.name));
    cursor = page.nextCursor;
  } while (cursor);
  for (const [name, args] of calls) {
    const started = Date.now();
    const progressAt = [];
    const answer = await client.callTool({ name, arguments: args }, undefined, {
      onprogress: () => progressAt.push((Date.now() - started) / 1000),
    });
    report.calls.push({
      name,
      text: answer.content.filter((c) => c.type === "text").map((c) => c.text).join(""),
      is_error: Boolean(answer.isError),
      progress_at: progressAt,
      result_at: (Date.now() - started) / 1000,
    });
  }
  await transport.terminateSession();
  await client.close();
  console.log(JSON.stringify(report));
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
