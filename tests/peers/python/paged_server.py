"""A low-level MCP server (PyPI `mcp` 2.x) for the registry's tests: 25 tools
over 3 pages, 2 resources, a resource template and a prompt, behind a bearer
token. Usage: paged_server.py TOKEN PORT"""

import sys

import mcp_types as types
import uvicorn
from guard import require_bearer
from mcp.server.lowlevel.server import Server

PAGE = 10
TOOLS = [
    types.Tool(
        name=f"tool_{i:02d}",
        title=f"Tool {i}",
        description=f"Does thing number {i}",
        input_schema={"type": "object", "properties": {"n": {"type": "integer"}}},
        annotations=types.ToolAnnotations(read_only_hint=True) if i == 0 else None,
    )
    for i in range(25)
]


async def list_tools(ctx, params):
    start = int(params.cursor) if params and params.cursor else 0
    end = start + PAGE
    return types.ListToolsResult(
        tools=TOOLS[start:end], next_cursor=str(end) if end < len(TOOLS) else None
    )


async def call_tool(ctx, params):
    return types.CallToolResult(content=[types.TextContent(type="text", text=params.name)])


async def list_resources(ctx, params):
    return types.ListResourcesResult(
        resources=[
            types.Resource(uri="file:///readme.md", name="readme", mime_type="text/markdown"),
            types.Resource(uri="file:///data.csv", name="data", description="Numbers"),
        ]
    )


async def list_templates(ctx, params):
    return types.ListResourceTemplatesResult(
        resource_templates=[types.ResourceTemplate(uri_template="file:///logs/{day}", name="logs")]
    )


async def list_prompts(ctx, params):
    return types.ListPromptsResult(
        prompts=[
            types.Prompt(
                name="summarise",
                description="Summarise a text",
                arguments=[types.PromptArgument(name="text", required=True)],
            )
        ]
    )


def main():
    token, port = sys.argv[1], int(sys.argv[2])
    server = Server(
        "paged-demo",
        version="1.2.3",
        title="Paged demo",
        on_list_tools=list_tools,
        on_call_tool=call_tool,
        on_list_resources=list_resources,
        on_list_resource_templates=list_templates,
        on_list_prompts=list_prompts,
    )
    app = require_bearer(server.streamable_http_app(), token)
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning")


if __name__ == "__main__":
    main()
