"""A FastMCP (PyPI `fastmcp` 4.x) server for the registry's tests: three tools,
one with a structured result, behind an `X-Api-Key` header.
Usage: fastmcp_server.py KEY PORT"""

import sys

import uvicorn
from fastmcp import FastMCP

mcp = FastMCP("fast-demo")


@mcp.tool
def add(a: int, b: int) -> int:
    """Add two numbers."""
    return a + b


@mcp.tool
def greet(name: str) -> str:
    """Greet someone by name."""
    return f"Hello, {name}!"


@mcp.tool
def weather(city: str) -> dict[str, float]:
    """Current temperature and humidity of a city."""
    return {"temperature": 21.5, "humidity": 0.4}


def main():
    key, port = sys.argv[1], int(sys.argv[2])
    app = mcp.http_app(path="/mcp")

    async def guarded(scope, receive, send):
        if scope["type"] == "http" and dict(scope["headers"]).get(b"x-api-key") != key.encode():
            await send({"type": "http.response.start", "status": 403,
                        "headers": [(b"content-type", b"application/json")]})
            await send({"type": "http.response.body", "body": b'{"error":"forbidden"}'})
            return
        await app(scope, receive, send)

    uvicorn.run(guarded, host="127.0.0.1", port=port, log_level="warning", lifespan="on")


if __name__ == "__main__":
    main()
