"""Round trip through the Python client that openapi-python-client generates
from the server's own document: create, get, list, read through the MCP
Registry API (anonymously), update, delete."""

import sys
import uuid

from mcp_registry_client import AuthenticatedClient, Client
from mcp_registry_client.api.mcp_registry_api import (
    get_registry_server_version,
    list_registry_servers,
)
from mcp_registry_client.api.mcp_servers import (
    create_mcp_server,
    delete_mcp_server,
    get_mcp_server,
    list_mcp_servers,
    update_mcp_server,
)
from mcp_registry_client.models import (
    CreateMcpServerRequest,
    McpServer,
    McpServerList,
    ServerList,
    ServerResponse,
    UpdateMcpServerRequest,
)

base_url, token = sys.argv[1], sys.argv[2]
client = AuthenticatedClient(base_url=base_url, token=token)
name = f"python-sdk-{uuid.uuid4().hex[:8]}"

created = create_mcp_server.sync_detailed(
    client=client,
    idempotency_key=name,
    body=CreateMcpServerRequest.from_dict(
        {
            "name": name,
            "url": "https://mcp.example.com/mcp",
            "api_key": "sk-python-sdk",
            "headers": {"Authorization": "Bearer python", "X-Tenant": "acme"},
        }
    ),
)
assert created.status_code == 201, created.content
server = created.parsed
assert isinstance(server, McpServer), server
assert server.id.startswith("mcp_") and server.api_key_set, server
assert server.headers.to_dict() == {"Authorization": "********", "X-Tenant": "acme"}
assert b"sk-python-sdk" not in created.content

fetched = get_mcp_server.sync(client=client, id=server.id)
assert isinstance(fetched, McpServer) and fetched.name == name, fetched

page = list_mcp_servers.sync(client=client, limit=200, q=name)
assert isinstance(page, McpServerList), page
assert [s.id for s in page.data] == [server.id], page

anonymous = Client(base_url=base_url)
registry = list_registry_servers.sync(client=anonymous, search=name)
assert isinstance(registry, ServerList), registry
assert [e.server.name for e in registry.servers] == [f"local.mcp-registry/{name}"], registry
entry = registry.servers[0].to_dict()
assert entry["_meta"]["io.modelcontextprotocol.registry/official"]["status"] == "active", entry
assert entry["server"]["$schema"].endswith("/2025-12-11/server.schema.json"), entry
# The entry leads through the registry (--registry-api-remotes gateway, the
# default): its endpoint for the server, with a use token of the registry's.
remote = entry["server"]["remotes"][0]
assert remote["url"].endswith(f"/v1/mcp-servers/{server.id}/mcp"), remote
headers = {h["name"]: h for h in remote["headers"]}
assert list(headers) == ["Authorization"], headers
assert headers["Authorization"]["isSecret"] and "value" not in headers["Authorization"], headers
latest = get_registry_server_version.sync(
    client=anonymous, server_name=f"local.mcp-registry/{name}", version="latest"
)
assert isinstance(latest, ServerResponse) and latest.server.name == f"local.mcp-registry/{name}", latest

updated = update_mcp_server.sync(
    client=client,
    id=server.id,
    body=UpdateMcpServerRequest.from_dict({"description": "changed by the Python SDK", "status": "disabled"}),
)
assert isinstance(updated, McpServer), updated
assert updated.description == "changed by the Python SDK" and updated.status.value == "disabled"

deleted = delete_mcp_server.sync_detailed(client=client, id=server.id)
assert deleted.status_code == 204, deleted.content
gone = get_mcp_server.sync_detailed(client=client, id=server.id)
assert gone.status_code == 404, gone.content
print("python SDK round trip: create, get, list, registry API, update, delete ok")
