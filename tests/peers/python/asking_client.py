"""An agent that can answer what a server asks it: PyPI `mcp` 2.x's `Client`
with a model (sampling: it always answers "Paris") and a user (elicitation:
Ada, ada@example.com), in one negotiation mode. In the handshake era the
server asks by requests of its own during the call; at 2026-07-28 by an
`input_required` result, which the client answers and retries. Calls the
reference server's asking tools (their names after PREFIX, `conformance__`
on the registry's /mcp) and prints what each answered and what was asked,
and the log lines it heard from a tool that logs three; in the handshake
era it subscribes to a resource and hears the update a tool announces.
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
logged = []
updated = []


async def on_message(message):
    """Hears `notifications/resources/updated`."""
    root = getattr(message, "root", message)
    if getattr(root, "method", None) == "notifications/resources/updated":
        updated.append(str(root.params.uri))


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


async def log_line(params):
    logged.append(f"{params.level}: {params.data}")


def text_of(result):
    return "".join(c.text for c in result.content if c.type == "text")


async def main():
    url, token, mode, prefix = sys.argv[1:5]
    mute = sys.argv[5:] == ["mute"]
    answers = {} if mute else {"sampling_callback": sampling, "elicitation_callback": elicitation}
    # Log lines at info and above: asked per request at 2026-07-28, of the
    # session (logging/setLevel) in the handshake era.
    answers["logging_callback"] = log_line
    answers["message_handler"] = on_message
    if mode != "legacy":
        answers["log_level"] = "info"
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
        if report["version"] != "2026-07-28":
            await client.set_logging_level("info")
        result = await client.call_tool(prefix + "test_tool_with_logging", {})
        report["logging"] = text_of(result)
        # In the handshake era a relay may send them on the session's own
        # stream rather than the call's: they may come just after the answer.
        with anyio.move_on_after(5):
            while len(logged) < 3:
                await anyio.sleep(0.05)
        if report["version"] != "2026-07-28":
            # The handshake era's subscription: an update the server sends
            # after a change reaches the subscriber.
            await client.subscribe_resource("test://watched-resource")
            told = await client.call_tool(prefix + "test_touch_watched_resource", {})
            report["touched"] = text_of(told)
            with anyio.move_on_after(5):
                while not updated:
                    await anyio.sleep(0.05)
            report["updated"] = updated
            await client.unsubscribe_resource("test://watched-resource")
        for key, (tool, arguments) in calls.items():
            try:
                result = await client.call_tool(prefix + tool, arguments)
                report[key] = {"error": result.is_error, "text": text_of(result)}
            except Exception as error:  # noqa: BLE001 - reported, compared
                report[key] = {"raised": type(error).__name__, "text": str(error)}
    report["asked"] = asked
    report["logged"] = logged
    print(json.dumps(report))


if __name__ == "__main__":
    anyio.run(main)
