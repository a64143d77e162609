"""An MCP server (PyPI `mcp` 2.x, low-level) for the gateway's tests, behind a
bearer token: the paged tools of paged_server.py plus `echo` (answers its
arguments), `progress` (three progress notifications, 0.4 s apart, then a
result), `fail` (a tool error) and `slow` (sleeps 30 s, notes a cancellation).
Beside /mcp, GET /seen lists every Authorization value that reached it, and
GET /cancelled counts the calls of `slow` that were cancelled.
Usage: gateway_peer.py TOKEN PORT"""

import json
import sys

import anyio
import mcp_types as types
import uvicorn
from mcp.server.lowlevel.server import Server

from paged_server import TOOLS as PAGED_TOOLS

PAGE = 10
OBJECT = {"type": "object"}
TOOLS = PAGED_TOOLS[:15] + [
    types.Tool(name="echo", description="Answers its arguments", input_schema=OBJECT),
    types.Tool(name="progress", description="Reports progress three times", input_schema=OBJECT),
    types.Tool(name="fail", description="Always a tool error", input_schema=OBJECT),
    types.Tool(name="slow", description="Takes 30 s", input_schema=OBJECT),
]
seen_authorizations = []
cancelled = {"slow": 0}


async def list_tools(ctx, params):
    start = int(params.cursor) if params and params.cursor else 0
    end = start + PAGE
    return types.ListToolsResult(
        tools=TOOLS[start:end], next_cursor=str(end) if end < len(TOOLS) else None
    )


def text(value):
    return types.CallToolResult(content=[types.TextContent(type="text", text=value)])


async def call_tool(ctx, params):
    if params.name == "echo":
        return text(json.dumps(params.arguments or {}, sort_keys=True))
    if params.name == "progress":
        token = (ctx.meta or {}).get("progress_token")
        for step in range(1, 4):
            if token is not None:
                await ctx.session.send_progress_notification(
                    token, step, 3, f"step {step}", related_request_id=ctx.request_id
                )
            await anyio.sleep(0.4)
        return text("done")
    if params.name == "fail":
        return types.CallToolResult(
            content=[types.TextContent(type="text", text="it failed")], is_error=True
        )
    if params.name == "slow":
        try:
            await anyio.sleep(30)
        except anyio.get_cancelled_exc_class():
            cancelled["slow"] += 1
            raise
        return text("slow done")
    return text(params.name)


def main():
    token, port = sys.argv[1], int(sys.argv[2])
    server = Server(
        "gateway-peer", version="0.4.0", on_list_tools=list_tools, on_call_tool=call_tool
    )
    app = server.streamable_http_app()

    async def respond(send, status, body):
        await send({"type": "http.response.start", "status": status,
                    "headers": [(b"content-type", b"application/json")]})
        await send({"type": "http.response.body", "body": json.dumps(body).encode()})

    async def guarded(scope, receive, send):
        if scope["type"] == "http":
            if scope["path"] == "/seen":
                return await respond(send, 200, seen_authorizations)
            if scope["path"] == "/cancelled":
                return await respond(send, 200, cancelled)
            authorization = dict(scope["headers"]).get(b"authorization", b"").decode()
            seen_authorizations.append(authorization)
            if authorization != f"Bearer {token}":
                return await respond(send, 401, {"error": "unauthorized"})
        await app(scope, receive, send)

    uvicorn.run(guarded, host="127.0.0.1", port=port, log_level="warning")


if __name__ == "__main__":
    main()
