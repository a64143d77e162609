"""An MCP server of PyPI `mcp` 2.x's high-level `MCPServer`, which speaks the
2026-07-28 revision (stateless: `server/discover`, the `Mcp-Method` and
`Mcp-Name` headers) and the earlier ones (`initialize`): a tool with
arguments, a resource, a resource template and a prompt (their `name`
completes to Ada, Alan or Grace), behind a bearer token. `grow` adds a
tool and tells listeners (`subscriptions/listen`) the list changed. With
`modern-only`, it speaks 2026-07-28 alone: `initialize` is a removed method
(404, -32601), as a server that dropped the handshake era answers it.
Usage: modern_server.py TOKEN [modern-only] PORT"""

import json

import sys

import uvicorn
from mcp.server.mcpserver import Context, MCPServer
from guard import require_bearer
from mcp_types import Completion, PromptReference, ResourceTemplateReference

mcp = MCPServer("modern-demo")


@mcp.tool()
def add(a: int, b: int) -> int:
    """Add two numbers."""
    return a + b


@mcp.tool()
async def grow(name: str, ctx: Context) -> str:
    """Add a tool named `name`, and say that the list of tools changed."""
    mcp.add_tool(lambda: name, name=name, description="Grown at run time.")
    await ctx.notify_tools_changed()
    return f"added {name}"


@mcp.resource("note://today")
def note() -> str:
    """Today's note."""
    return "buy milk"


@mcp.resource("greeting://{name}")
def greeting(name: str) -> str:
    """A greeting for someone."""
    return f"Hi, {name}."


@mcp.prompt()
def greet(name: str) -> str:
    """Greet someone by name."""
    return f"Hello, {name}!"


@mcp.completion()
async def complete(ref, argument, context):
    if isinstance(ref, (PromptReference, ResourceTemplateReference)) and argument.name == "name":
        names = [n for n in ("Ada", "Alan", "Grace") if n.startswith(argument.value)]
        return Completion(values=names)
    return None


def refuse_initialize(app):
    """`app`, answering `initialize` as a server of 2026-07-28 alone does."""

    async def modern_only(scope, receive, send):
        if scope["type"] != "http" or scope["method"] != "POST":
            return await app(scope, receive, send)
        body, more = b"", True
        while more:
            event = await receive()
            body += event.get("body", b"")
            more = event.get("more_body", False)
        try:
            message = json.loads(body)
        except ValueError:
            message = None
        if isinstance(message, dict) and message.get("method") == "initialize":
            error = {"jsonrpc": "2.0", "id": message.get("id"),
                     "error": {"code": -32601, "message": "Method not found: initialize"}}
            await send({"type": "http.response.start", "status": 404,
                        "headers": [(b"content-type", b"application/json")]})
            await send({"type": "http.response.body", "body": json.dumps(error).encode()})
            return
        sent = False

        async def replay():
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await app(scope, replay, send)

    return modern_only


def main():
    token, port = sys.argv[1], int(sys.argv[-1])
    app = mcp.streamable_http_app()
    if "modern-only" in sys.argv[2:-1]:
        app = refuse_initialize(app)
    app = require_bearer(app, token)
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")


if __name__ == "__main__":
    main()
