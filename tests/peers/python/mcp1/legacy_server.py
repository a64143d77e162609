"""An MCP server of PyPI `mcp` 1.x's FastMCP, which speaks only the handshake
revisions (`initialize`, sessions) and knows nothing of 2026-07-28: a tool
with arguments, a resource and a prompt, behind a bearer token.
Usage: legacy_server.py TOKEN PORT"""

import logging
import os
import sys

import uvicorn
from mcp.server.fastmcp import FastMCP

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from guard import require_bearer  # noqa: E402  (tests/peers/python)

mcp = FastMCP("legacy-demo", host="127.0.0.1", log_level="WARNING")


@mcp.tool()
def add(a: int, b: int) -> int:
    """Add two numbers."""
    return a + b


@mcp.resource("note://yesterday")
def note() -> str:
    """Yesterday's note."""
    return "bought bread"


@mcp.prompt()
def greet(name: str) -> str:
    """Greet someone by name."""
    return f"Good day, {name}."


def main():
    # The SDK logs a traceback whenever a client ends a session (its own
    # standalone stream closing): noise, not a fault.
    logging.getLogger("mcp.server.streamable_http").setLevel(logging.CRITICAL)
    token, port = sys.argv[1], int(sys.argv[2])
    app = require_bearer(mcp.streamable_http_app(), token)
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")


if __name__ == "__main__":
    main()
