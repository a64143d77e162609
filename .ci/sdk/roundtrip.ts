// Round trip through the TypeScript client: types from openapi-typescript,
// requests through openapi-fetch. Compiled with `tsc --strict` first, so a
// drift between the document and this use of it fails the build.
import createClient from "openapi-fetch";
import type { components, operations, paths } from "./schema";

type McpServer = components["schemas"]["McpServer"];
type CreateMcpServer = operations["create_mcp_server"]["requestBody"]["content"]["application/json"];

async function main(): Promise<void> {
  const [baseUrl, token] = process.argv.slice(2);
  const client = createClient<paths>({ baseUrl, headers: { Authorization: `Bearer ${token}` } });
  const name = `typescript-sdk-${Date.now()}`;
  const body: CreateMcpServer = {
    name,
    url: "https://mcp.example.com/mcp",
    api_key: "sk-typescript-sdk",
    headers: { Authorization: "Bearer ts", "X-Tenant": "acme" },
  };

  const created = await client.POST("/v1/mcp-servers", { body });
  check(created.response.status === 201, "create", created.error);
  const server: McpServer = created.data!;
  check(server.id.startsWith("mcp_") && server.api_key_set, "created record", server);
  check(server.headers?.["Authorization"] === "********", "masked credential", server);

  const fetched = await client.GET("/v1/mcp-servers/{id}", { params: { path: { id: server.id } } });
  check(fetched.data?.name === name, "get", fetched.error);

  const page = await client.GET("/v1/mcp-servers", { params: { query: { q: name, limit: 200 } } });
  check(page.data?.data.length === 1 && page.data.data[0].id === server.id, "list", page.error);

  const updated = await client.PATCH("/v1/mcp-servers/{id}", {
    params: { path: { id: server.id } },
    body: { description: "changed by the TypeScript SDK", status: "disabled" },
  });
  check(updated.data?.status === "disabled", "update", updated.error);

  const deleted = await client.DELETE("/v1/mcp-servers/{id}", { params: { path: { id: server.id } } });
  check(deleted.response.status === 204, "delete", deleted.error);
  const gone = await client.GET("/v1/mcp-servers/{id}", { params: { path: { id: server.id } } });
  check(gone.response.status === 404, "get after delete", gone.error);
  console.log("typescript SDK round trip: create, get, list, update, delete ok");
}

function check(ok: boolean, step: string, detail: unknown): void {
  if (!ok) {
    console.error(`${step} failed:`, detail);
    process.exit(1);
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
