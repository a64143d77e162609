"""A relay in front of the registry's /mcp for the conformance suite, whose
scenarios call the reference server's tools and prompts by their own names
(`test_simple_text`), while /mcp names them `{server}__{name}`. It adds that
prefix to the names an agent sends (the body and the `Mcp-Name` header) and
takes it off the names in list answers, JSON or SSE, and changes nothing
else: a scenario that fails through it fails on /mcp for another reason.
Usage: prefix_shim.py PORT TARGET_URL PREFIX"""

import json
import sys

import httpx2 as httpx
import uvicorn
from starlette.responses import Response, StreamingResponse

PORT, TARGET, PREFIX = int(sys.argv[1]), sys.argv[2], sys.argv[3]
NAMED = {"tools/call", "prompts/get"}
HOP = {"host", "content-length", "transfer-encoding", "connection"}
client = httpx.AsyncClient(timeout=None)


def outgoing(message):
    if not isinstance(message, dict) or not isinstance(message.get("params"), dict):
        return message
    params = message["params"]
    if message.get("method") in NAMED and isinstance(params.get("name"), str):
        params["name"] = PREFIX + params["name"]
    ref = params.get("ref")
    if message.get("method") == "completion/complete" and isinstance(ref, dict):
        if ref.get("type") == "ref/prompt" and isinstance(ref.get("name"), str):
            ref["name"] = PREFIX + ref["name"]
    return message


def incoming(message):
    result = message.get("result") if isinstance(message, dict) else None
    if isinstance(result, dict):
        for key in ("tools", "prompts"):
            for entry in result.get(key) or []:
                name = entry.get("name", "")
                if name.startswith(PREFIX):
                    entry["name"] = name[len(PREFIX):]
    return message


def rewrite(body: bytes, change) -> bytes:
    try:
        value = json.loads(body)
    except ValueError:
        return body
    value = [change(m) for m in value] if isinstance(value, list) else change(value)
    return json.dumps(value).encode()


async def app(scope, receive, send):
    if scope["type"] == "lifespan":
        while (await receive())["type"] != "lifespan.shutdown":
            await send({"type": "lifespan.startup.complete"})
        await send({"type": "lifespan.shutdown.complete"})
        return
    body = b""
    while True:
        event = await receive()
        body += event.get("body", b"")
        if not event.get("more_body"):
            break
    headers = {
        k.decode(): v.decode() for k, v in scope["headers"] if k.decode().lower() not in HOP
    }
    if headers.get("mcp-method") in NAMED and "mcp-name" in headers:
        headers["mcp-name"] = PREFIX + headers["mcp-name"]
    if body:
        body = rewrite(body, outgoing)
    url = TARGET + (("?" + scope["query_string"].decode()) if scope["query_string"] else "")
    request = client.build_request(scope["method"], url, headers=headers, content=body)
    upstream = await client.send(request, stream=True)
    answer_headers = {k: v for k, v in upstream.headers.items() if k.lower() not in HOP}
    answer_headers.pop("content-encoding", None)
    if upstream.headers.get("content-type", "").startswith("text/event-stream"):

        async def events():
            async for line in upstream.aiter_lines():
                if line.startswith("data:"):
                    line = "data: " + rewrite(line[5:].strip().encode(), incoming).decode()
                yield (line + "\n").encode()
            await upstream.aclose()

        response = StreamingResponse(events(), upstream.status_code, answer_headers)
    else:
        content = await upstream.aread()
        await upstream.aclose()
        response = Response(rewrite(content, incoming) if content else b"", upstream.status_code,
                            answer_headers)
    await response(scope, receive, send)


if __name__ == "__main__":
    uvicorn.run(app, host="127.0.0.1", port=PORT, log_level="warning", lifespan="on")
