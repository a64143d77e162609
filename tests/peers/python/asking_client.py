"""An agent that can answer what a server asks it: PyPI `mcp` 2.x's `Client`
with a model (sampling: it always answers "Paris") and a user (elicitation:
Ada, ada@example.com), in one negotiation mode. In the handshake era the
server asks by requests of its own during the call; at 2026-07-28 by an
`input_required` result, which the client answers and retries. Calls the
reference server's asking tools (their names after PREFIX, `conformance__`
on the registry's /mcp) and prints what each answered and what was asked.
With `mute`, it declares neither capability.
Usage: asking_client.py URL TOKEN MODE PREFIX [mute]"""

import json
import sys

import anyio
import httpx2
from mcp import Client
from mcp.client.streamable_http import streamable_http_client
from mcp_types import CreateMessageResult, ElicitResult, TextContent

asked = []


async def sampling(context, params):
    asked.append({"sampling": params.messages[0].content.text})
    return CreateMessageResult(
        role="assistant", content=TextContent(type="text", text="Paris"), model="m"
    )


async def elicitation(context, params):
    asked.append({"elicitation": params.message})
    return ElicitResult(
        action="accept", content={"username": "Ada", "email": "ada@example.com", "name": "Ada"}
    )


def text_of(result):
    return "".join(c.text for c in result.content if c.type == "text")


async def main():
    url, token, mode, prefix = sys.argv[1:5]
    mute = sys.argv[5:] == ["mute"]
    answers = {} if mute else {"sampling_callback": sampling, "elicitation_callback": elicitation}
    http = httpx2.AsyncClient(headers={"Authorization": f"Bearer {token}"}, timeout=60)
    report = {}
    calls = {
        "sampling": ("test_sampling", {"prompt": "What is the capital of France?"}),
        "elicitation": ("test_elicitation", {"message": "Who are you?"}),
        "input_required": ("test_input_required_result_elicitation", {}),
    }
    async with http, Client(
        streamable_http_client(url, http_client=http), mode=mode, **answers
    ) as client:
        report["version"] = client._session.protocol_version
        for key, (tool, arguments) in calls.items():
            try:
                result = await client.call_tool(prefix + tool, arguments)
                report[key] = {"error": result.is_error, "text": text_of(result)}
            except Exception as error:  # noqa: BLE001 - reported, compared
                report[key] = {"raised": type(error).__name__, "text": str(error)}
    report["asked"] = asked
    print(json.dumps(report))


if __name__ == "__main__":
    anyio.run(main)
