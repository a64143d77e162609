"""langchain-mcp-adapters' `MultiServerMCPClient`, as LangChain agents use
it: loads the server's tools as LangChain tools (whose names go to the
model as they are), invokes `add` (under whatever name it is offered), loads
the first resource and gets the first prompt; prints one JSON report, with
whether every tool name passes the providers' strict function-name check.
Usage: langchain_client.py URL TOKEN"""

import json
import re
import sys

import anyio
from langchain_mcp_adapters.client import MultiServerMCPClient

# OpenAI's and Anthropic's function names.
STRICT_NAME = re.compile(r"^[a-zA-Z0-9_-]{1,64}$")


def text_of(value):
    if isinstance(value, str):
        return value
    if isinstance(value, (list, tuple)):
        return "".join(text_of(v) for v in value)
    if isinstance(value, dict):
        return value.get("text", "")
    return getattr(value, "text", None) or getattr(value, "content", "") or ""


async def main():
    url, token = sys.argv[1], sys.argv[2]
    client = MultiServerMCPClient({
        "registry": {
            "transport": "streamable_http",
            "url": url,
            "headers": {"Authorization": f"Bearer {token}"},
        }
    })
    report = {}
    tools = await client.get_tools()
    report["tools"] = sorted(t.name for t in tools)
    report["functions_strict"] = all(STRICT_NAME.match(t.name) for t in tools)
    add = next((t for t in tools if "add" in t.name), None)
    if add:
        report["call"] = text_of(await add.ainvoke({"a": 2, "b": 40}))
    async with client.session("registry") as session:
        resources = (await session.list_resources()).resources
        if resources:
            read = await session.read_resource(resources[0].uri)
            report["resource"] = text_of(list(read.contents))
        prompts = (await session.list_prompts()).prompts
    if prompts:
        arguments = {a.name: "Ada" for a in (prompts[0].arguments or [])}
        messages = await client.get_prompt("registry", prompts[0].name, arguments=arguments)
        report["prompt"] = text_of([m.content for m in messages])
    print(json.dumps(report))


anyio.run(main)
