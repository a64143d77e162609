"""PyPI `mcp` 2.x's `Client` at 2026-07-28, listening for list changes as
current agents do: it opens a `subscriptions/listen` stream (entering waits
for the server's acknowledgment), calls `grow` to add a tool, and waits for
the change to arrive on the stream while that stream stays open; then lists
the tools again; with HOLD_S, it first keeps the stream open that long with
nothing said on it. GROW names the tool to call (`grow`, or `{server}__grow`
on the registry's /mcp). Prints one JSON report.
Usage: listen_client.py URL TOKEN [HOLD_S [GROW]]"""

import json
import sys
import time

import anyio
import httpx2
from mcp import Client
from mcp.client.streamable_http import streamable_http_client


async def main():
    url, token = sys.argv[1], sys.argv[2]
    hold = float(sys.argv[3]) if len(sys.argv) > 3 else 0
    grow = sys.argv[4] if len(sys.argv) > 4 else "grow"
    http = httpx2.AsyncClient(headers={"Authorization": f"Bearer {token}"}, timeout=60)
    report = {}
    async with http, Client(streamable_http_client(url, http_client=http), mode="2026-07-28") as client:
        report["version"] = client._session.protocol_version
        async with client.listen(tools_list_changed=True) as subscription:
            report["honored"] = subscription.honored.model_dump(by_alias=True, exclude_none=True)
            await anyio.sleep(hold)
            await client.call_tool(grow, {"name": "sprout"})
            started = time.monotonic()
            with anyio.fail_after(20):
                event = await subscription.__anext__()
            report["event"] = type(event).__name__
            report["waited_s"] = round(time.monotonic() - started, 3)
            tools = await client.list_tools()
            report["tools"] = sorted(tool.name for tool in tools.tools)
    print(json.dumps(report))


anyio.run(main)
