// npm `@modelcontextprotocol/client` 2.x (the v2 TypeScript client) in one
// negotiation mode: `auto` (server/discover, falling back to initialize),
// `legacy` (initialize) or a pinned revision such as `2026-07-28`. Lists
// the tools, calls `add` (under whatever name it is offered), reads the
// first resource and gets the first prompt; prints one JSON report with the
// negotiated revision, like era_client.py's.
// Usage: node era_client.cjs URL TOKEN MODE
const { Client, StreamableHTTPClientTransport } = require("@modelcontextprotocol/client");

const texts = (items) =>
  items.filter((c) => c && c.type === "text").map((c) => c.text);

async function main() {
  const [url, token, mode] = process.argv.slice(2);
  const transport = new StreamableHTTPClientTransport(new URL(url), {
    requestInit: { headers: { Authorization: `Bearer ${token}` } },
  });
  const negotiation = mode === "auto" || mode === "legacy" ? mode : { pin: mode };
  const client = new Client(
    { name: "era-client", version: "1.0.0" },
    { versionNegotiation: { mode: negotiation } },
  );
  await client.connect(transport);
  const report = { version: client.getNegotiatedProtocolVersion() };
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
