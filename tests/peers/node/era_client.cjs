// npm `@modelcontextprotocol/client` 2.x (the v2 TypeScript client) in one
// negotiation mode: `auto` (server/discover, falling back to initialize),
// `legacy` (initialize) or a pinned revision such as `2026-07-28`; or, as
// mode `sdk1`, the v1 client of `@modelcontextprotocol/sdk` 1.x, which
// speaks the handshake era only. Lists the tools, calls `add` (under
// whatever name it is offered), reads the first resource and gets the
// first prompt; prints one JSON report with the negotiated revision, like
// era_client.py's.
// Usage: node era_client.cjs URL TOKEN MODE
const v2 = require("@modelcontextprotocol/client");
const v1 = {
  Client: require("@modelcontextprotocol/sdk/client/index.js").Client,
  StreamableHTTPClientTransport: require("@modelcontextprotocol/sdk/client/streamableHttp.js")
    .StreamableHTTPClientTransport,
};

const texts = (items) =>
  items.filter((c) => c && c.type === "text").map((c) => c.text);

async function main() {
  const [url, token, mode] = process.argv.slice(2);
  const sdk = mode === "sdk1" ? v1 : v2;
  const transport = new sdk.StreamableHTTPClientTransport(new URL(url), {
    requestInit: { headers: { Authorization: `Bearer ${token}` } },
  });
  const negotiation = mode === "auto" || mode === "legacy" ? mode : { pin: mode };
  const options = mode === "sdk1" ? {} : { versionNegotiation: { mode: negotiation } };
  const client = new sdk.Client({ name: "era-client", version: "1.0.0" }, options);
  await client.connect(transport);
  const version =
    mode === "sdk1" ? transport.protocolVersion : client.getNegotiatedProtocolVersion();
  const report = { version };
  const tools = (await client.listTools()).tools.map((tool) => tool.name).sort();
  report.tools = tools;
  const add = tools.find((name) => name.includes("add"));
  if (add) {
    const answer = await client.callTool({ name: add, arguments: { a: 2, b: 40 } });
    report.call = texts(answer.content).join("");
  }
  const capabilities = client.getServerCapabilities() || {};
  if (capabilities.resources) {
    const { resources } = await client.listResources();
    if (resources.length) {
      const read = await client.readResource({ uri: resources[0].uri });
      report.resource = read.contents.map((c) => c.text);
    }
  }
  if (capabilities.prompts) {
    const { prompts } = await client.listPrompts();
    if (prompts.length) {
      const args = Object.fromEntries((prompts[0].arguments || []).map((a) => [a.name, "Ada"]));
      const prompt = await client.getPrompt({ name: prompts[0].name, arguments: args });
      report.prompt = texts(prompt.messages.map((m) => m.content));
    }
  }
  await client.close();
  console.log(JSON.stringify(report));
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
