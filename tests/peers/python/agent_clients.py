"""MCP clients of agent frameworks, as their users configure them: the OpenAI
Agents SDK's `MCPServerStreamableHttp` (no model is called: its tools are
listed, converted to the function tools it would hand a model, and one is
invoked directly) and fastmcp's `Client`. Each lists the tools, calls `add`
(under its /mcp name on the registry's /mcp), reads the first resource and
gets the first prompt; prints one JSON report, with the revision negotiated
and whether every function name passes the providers' strict check.
Usage: agent_clients.py URL TOKEN openai-agents|fastmcp"""

import json
import re
import sys

import anyio

# OpenAI's and Anthropic's function names.
STRICT_NAME = re.compile(r"^[a-zA-Z0-9_-]{1,64}$")


def adder(names):
    """`add`, under whatever name the registry's /mcp gives it."""
    return next((n for n in names if "add" in n), None)


def text_of(contents):
    return "".join(getattr(c, "text", "") or "" for c in contents)


async def openai_agents(url, token):
    from agents import RunContextWrapper
    from agents.agent import Agent
    from agents.mcp import MCPServerStreamableHttp, MCPUtil

    report = {}
    server = MCPServerStreamableHttp(
        {"url": url, "headers": {"Authorization": f"Bearer {token}"}, "timeout": 30},
        client_session_timeout_seconds=30,
        name="registry",
    )
    async with server:
        report["version"] = getattr(server.session, "protocol_version", None)
        tools = await server.list_tools()
        report["tools"] = sorted(t.name for t in tools)
        agent = Agent(name="assistant", mcp_servers=[server])
        functions = await MCPUtil.get_function_tools(
            server, convert_schemas_to_strict=True, run_context=RunContextWrapper(None), agent=agent
        )
        report["functions_strict"] = all(STRICT_NAME.match(f.name) for f in functions)
        add = adder(report["tools"])
        if add:
            answer = await server.call_tool(add, {"a": 2, "b": 40})
            report["call"] = text_of(answer.content)
        resources = (await server.list_resources()).resources
        if resources:
            read = await server.read_resource(str(resources[0].uri))
            report["resource"] = text_of(read.contents)
        prompts = (await server.list_prompts()).prompts
        if prompts:
            arguments = {a.name: "Ada" for a in (prompts[0].arguments or [])}
            prompt = await server.get_prompt(prompts[0].name, arguments)
            report["prompt"] = text_of(m.content for m in prompt.messages)
    return report


async def fastmcp_client(url, token):
    from fastmcp import Client
    from fastmcp.client.transports import StreamableHttpTransport

    report = {}
    transport = StreamableHttpTransport(url, headers={"Authorization": f"Bearer {token}"})
    async with Client(transport, timeout=30) as client:
        session = client.session
        report["version"] = getattr(session, "protocol_version", None)
        tools = await client.list_tools()
        report["tools"] = sorted(t.name for t in tools)
        report["functions_strict"] = all(STRICT_NAME.match(t.name) for t in tools)
        add = adder(report["tools"])
        if add:
            answer = await client.call_tool(add, {"a": 2, "b": 40})
            report["call"] = text_of(answer.content)
        resources = await client.list_resources()
        if resources:
            report["resource"] = text_of(await client.read_resource(str(resources[0].uri)))
        prompts = await client.list_prompts()
        if prompts:
            arguments = {a.name: "Ada" for a in (prompts[0].arguments or [])}
            prompt = await client.get_prompt(prompts[0].name, arguments)
            report["prompt"] = text_of(m.content for m in prompt.messages)
    return report


KINDS = {"openai-agents": openai_agents, "fastmcp": fastmcp_client}


async def main():
    url, token, kind = sys.argv[1], sys.argv[2], sys.argv[3]
    print(json.dumps(await KINDS[kind](url, token)))


anyio.run(main)
