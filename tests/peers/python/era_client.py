"""PyPI `mcp` 2.x's high-level `Client`, as current agents use it (the OpenAI
Agents SDK builds on it), in one negotiation mode: `auto` (server/discover,
falling back to initialize on an MCP error), `legacy` (initialize) or a
pinned revision such as `2026-07-28`, or `legacy-asking` (legacy, declaring
sampling). Lists the tools, calls `add` (when it
is offered, or `{server}__add` on the registry's /mcp), reads the first
resource and the URI the first resource template makes of "Ada", gets the
first prompt, and completes the first argument of each from "A" (of a
server that declares them); prints one JSON report with the negotiated
revision.
Usage: era_client.py URL TOKEN MODE [HEADER:VALUE]"""

import json
import re
import sys

import anyio
import httpx2
from mcp import Client
from mcp.client.streamable_http import streamable_http_client
from mcp_types import (
    CreateMessageResult,
    PromptReference,
    ResourceTemplateReference,
    TextContent,
)


async def attempt(step):
    """What `step` answered, or the kind of error it raised (a server's
    answer the SDK refuses, say): the same directly and through a relay."""
    try:
        return await step
    except Exception as error:  # noqa: BLE001 - reported, compared
        return {"error": type(error).__name__}


async def read_first_resource(client):
    resources = (await client.list_resources()).resources
    if not resources:
        return None
    read = await client.read_resource(resources[0].uri)
    return [getattr(c, "text", None) for c in read.contents]


async def get_first_prompt(client):
    prompts = (await client.list_prompts()).prompts
    if not prompts:
        return None
    arguments = {a.name: "Ada" for a in (prompts[0].arguments or [])}
    prompt = await client.get_prompt(prompts[0].name, arguments)
    return [m.content.text for m in prompt.messages if m.content.type == "text"]


async def complete_first_prompt(client):
    prompts = (await client.list_prompts()).prompts
    if not prompts or not prompts[0].arguments:
        return None
    ref = PromptReference(type="ref/prompt", name=prompts[0].name)
    done = await client.complete(ref, {"name": prompts[0].arguments[0].name, "value": "A"})
    return done.completion.values


async def first_template(client):
    templates = (await client.list_resource_templates()).resource_templates
    return templates[0].uri_template if templates else None


async def read_first_template(client):
    """Reads the URI the first resource template makes of "Ada"."""
    template = await first_template(client)
    if template is None:
        return None
    read = await client.read_resource(re.sub(r"\{[^}]*\}", "Ada", template))
    return [getattr(c, "text", None) for c in read.contents]


async def complete_first_template(client):
    template = await first_template(client)
    if template is None or not re.search(r"\{\w+\}", template):
        return None
    argument = re.search(r"\{(\w+)\}", template).group(1)
    ref = ResourceTemplateReference(type="ref/resource", uri=template)
    done = await client.complete(ref, {"name": argument, "value": "A"})
    return done.completion.values


async def sample(context, params):
    return CreateMessageResult(role="assistant", content=TextContent(type="text", text="ok"), model="m")


async def main():
    url, token, mode = sys.argv[1], sys.argv[2], sys.argv[3]
    headers = {"Authorization": f"Bearer {token}"}
    if len(sys.argv) > 4:
        name, value = sys.argv[4].split(":", 1)
        headers[name] = value
    http = httpx2.AsyncClient(headers=headers, timeout=60)
    report = {}
    # `legacy-asking`: the handshake era, declaring sampling, as an agent
    # with a model does (a server may then ask it).
    asking = {}
    if mode == "legacy-asking":
        mode, asking = "legacy", {"sampling_callback": sample}
    async with http, Client(
        streamable_http_client(url, http_client=http), mode=mode, **asking
    ) as client:
        report["version"] = client._session.protocol_version
        tools = await client.list_tools()
        report["tools"] = sorted(tool.name for tool in tools.tools)
        add = next((t for t in report["tools"] if t == "add" or t.endswith("__add")), None)
        if add:
            answer = await client.call_tool(add, {"a": 2, "b": 40})
            report["call"] = "".join(c.text for c in answer.content if c.type == "text")
        capabilities = client.server_capabilities
        if capabilities.resources:
            report["resource"] = await attempt(read_first_resource(client))
            report["template"] = await attempt(read_first_template(client))
        if capabilities.prompts:
            report["prompt"] = await attempt(get_first_prompt(client))
        if capabilities.completions and capabilities.prompts:
            report["completion"] = await attempt(complete_first_prompt(client))
        if capabilities.completions and capabilities.resources:
            report["template_completion"] = await attempt(complete_first_template(client))
    print(json.dumps(report))


anyio.run(main)
