"""The Python MCP SDK's client (PyPI `mcp` 2.x), as an agent would use it:
initialize, every page of tools/list, then each call of the JSON list CALLS
([name, arguments] pairs). Prints one JSON report: the server's name, the
tool names, each call's text and error flag, and for `progress` the seconds
from the call at which each progress notification and the result arrived.
With a fourth argument `capable`, it declares it can answer sampling,
elicitation and roots (it would decline each): servers list some tools only
to such clients.
Usage: sdk_client.py URL TOKEN CALLS [capable]"""

import json
import sys
import time

import anyio
import httpx2
import mcp_types as types
from mcp import ClientSession
from mcp.client.streamable_http import streamable_http_client


async def decline(*_):
    return types.ErrorData(code=-32601, message="this client answers nothing")


async def main():
    url, token, calls = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
    capable = sys.argv[4:] == ["capable"]
    callbacks = (
        {"sampling_callback": decline, "elicitation_callback": decline,
         "list_roots_callback": decline}
        if capable else {}
    )
    report = {"tools": [], "calls": []}
    http = httpx2.AsyncClient(headers={"Authorization": f"Bearer {token}"}, timeout=60)
    async with http, streamable_http_client(url, http_client=http) as (read, write, *_):
        async with ClientSession(read, write, **callbacks) as session:
            result = await session.initialize()
            report["server"] = result.server_info.name
            cursor = None
            while True:
                params = types.PaginatedRequestParams(cursor=cursor) if cursor else None
                page = await session.list_tools(params=params)
                report["tools"] += [tool.name for tool in page.tools]
                cursor = page.next_cursor
                if not cursor:
                    break
            for name, arguments in calls:
                started = time.monotonic()
                progress = []

                async def noted(value, total, message, progress=progress, started=started):
                    progress.append(round(time.monotonic() - started, 3))

                answer = await session.call_tool(name, arguments, progress_callback=noted)
                report["calls"].append({
                    "name": name,
                    "text": "".join(c.text for c in answer.content if c.type == "text"),
                    "is_error": bool(answer.is_error),
                    "progress_at": progress,
                    "result_at": round(time.monotonic() - started, 3),
                })
    print(json.dumps(report))


anyio.run(main)
