"""The reference server the official conformance suite's server scenarios
expect (`@modelcontextprotocol/conformance`, which ships none): the tools,
resources, resource template, prompts and completions its scenario texts
describe, on PyPI `mcp` 2.x's `MCPServer`, so it speaks the 2026-07-28
revision and the handshake era. The tests run the scenarios against it
directly and through the registry and compare. No token: the suite sends
none. Usage: conformance_server.py PORT"""

import asyncio
import base64
import sys

import uvicorn
from mcp.server.mcpserver import Context, MCPServer
from mcp_types import (
    AudioContent,
    CallToolResult,
    Completion,
    EmbeddedResource,
    EmptyResult,
    GetPromptResult,
    ImageContent,
    InputRequiredResult,
    PromptMessage,
    SamplingMessage,
    SetLevelRequestParams,
    SubscribeRequestParams,
    TextContent,
    TextResourceContents,
    UnsubscribeRequestParams,
)
from mcp.shared.exceptions import MCPError
from mcp_types import MISSING_REQUIRED_CLIENT_CAPABILITY
from pydantic import BaseModel, Field

# A 1x1 red PNG and a 44-byte silent WAV header: the smallest honest media.
PNG = (
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg=="
)
WAV = base64.b64encode(
    b"RIFF$\x00\x00\x00WAVEfmt \x10\x00\x00\x00\x01\x00\x01\x00"
    b"@\x1f\x00\x00@\x1f\x00\x00\x01\x00\x08\x00data\x00\x00\x00\x00"
).decode()

mcp = MCPServer("conformance-reference")


def text(value: str) -> TextContent:
    return TextContent(type="text", text=value)


@mcp.tool()
def test_simple_text() -> CallToolResult:
    """Answers a fixed text."""
    return CallToolResult(content=[text("This is a simple text response for testing.")])


@mcp.tool()
def test_image_content() -> CallToolResult:
    """Answers a 1x1 PNG."""
    return CallToolResult(content=[ImageContent(type="image", data=PNG, mimeType="image/png")])


@mcp.tool()
def test_audio_content() -> CallToolResult:
    """Answers a silent WAV."""
    return CallToolResult(content=[AudioContent(type="audio", data=WAV, mimeType="audio/wav")])


def embedded(uri: str, mime: str, body: str) -> EmbeddedResource:
    return EmbeddedResource(
        type="resource", resource=TextResourceContents(uri=uri, mimeType=mime, text=body)
    )


@mcp.tool()
def test_embedded_resource() -> CallToolResult:
    """Answers an embedded text resource."""
    return CallToolResult(
        content=[
            embedded(
                "test://embedded-resource", "text/plain", "This is an embedded resource content."
            )
        ]
    )


@mcp.tool()
def test_multiple_content_types() -> CallToolResult:
    """Answers text, an image and a resource."""
    return CallToolResult(
        content=[
            text("Multiple content types test:"),
            ImageContent(type="image", data=PNG, mimeType="image/png"),
            embedded(
                "test://mixed-content-resource", "application/json", '{"test":"data","value":123}'
            ),
        ]
    )


@mcp.tool()
async def test_tool_with_logging(ctx: Context) -> str:
    """Logs three lines while it runs."""
    await ctx.info("Tool execution started")
    await asyncio.sleep(0.05)
    await ctx.info("Tool processing data")
    await asyncio.sleep(0.05)
    await ctx.info("Tool execution completed")
    return "Logging test completed"


@mcp.tool()
def test_error_handling() -> str:
    """Always fails."""
    raise RuntimeError("This tool intentionally returns an error for testing")


@mcp.tool()
async def test_tool_with_progress(ctx: Context) -> str:
    """Reports progress 0, 50 and 100 of 100."""
    for step in (0, 50, 100):
        await ctx.report_progress(step, 100)
        if step < 100:
            await asyncio.sleep(0.05)
    return "Progress test completed"


@mcp.tool()
async def test_sampling(prompt: str, ctx: Context) -> str:
    """Asks the client's model."""
    # On the call's own stream, as ctx.elicit asks.
    answer = await ctx.session.create_message(
        [SamplingMessage(role="user", content=text(prompt))],
        max_tokens=100,
        related_request_id=ctx.request_id,
    )
    content = answer.content
    said = content.text if isinstance(content, TextContent) else str(content)
    return f"LLM response: {said}"


class Contact(BaseModel):
    username: str = Field(description="User's response")
    email: str = Field(description="User's email address")


@mcp.tool()
async def test_elicitation(message: str, ctx: Context) -> str:
    """Asks the user."""
    result = await ctx.elicit(message, Contact)
    content = result.data.model_dump() if result.action == "accept" else None
    return f"User response: action={result.action}, content={content}"


async def elicit_schema(ctx: Context, message: str, properties: dict) -> str:
    result = await ctx.session.elicit_form(
        message,
        {"type": "object", "properties": properties},
        related_request_id=ctx.request_id,
    )
    return f"Elicitation completed: action={result.action}, content={result.content}"


@mcp.tool()
async def test_elicitation_sep1034_defaults(ctx: Context) -> str:
    """Asks with a default for every primitive type (SEP-1034)."""
    return await elicit_schema(ctx, "Please review your details", {
        "name": {"type": "string", "default": "John Doe"},
        "age": {"type": "integer", "default": 30},
        "score": {"type": "number", "default": 95.5},
        "status": {"type": "string", "enum": ["active", "inactive", "pending"],
                   "default": "active"},
        "verified": {"type": "boolean", "default": True},
    })


@mcp.tool()
async def test_elicitation_sep1330_enums(ctx: Context) -> str:
    """Asks with each of the five enum forms (SEP-1330)."""
    options = ["option1", "option2", "option3"]
    return await elicit_schema(ctx, "Please choose", {
        "untitledSingle": {"type": "string", "enum": options},
        "titledSingle": {"type": "string", "oneOf": [
            {"const": "value1", "title": "First Option"},
            {"const": "value2", "title": "Second Option"},
            {"const": "value3", "title": "Third Option"},
        ]},
        "legacyEnum": {"type": "string", "enum": ["opt1", "opt2", "opt3"],
                       "enumNames": ["Option One", "Option Two", "Option Three"]},
        "untitledMulti": {"type": "array", "items": {"type": "string", "enum": options}},
        "titledMulti": {"type": "array", "items": {"anyOf": [
            {"const": "value1", "title": "First Choice"},
            {"const": "value2", "title": "Second Choice"},
            {"const": "value3", "title": "Third Choice"},
        ]}},
    })


@mcp.tool(name="json_schema_2020_12_tool")
def json_schema_2020_12_tool() -> str:
    """Declares JSON Schema 2020-12 features (replaced below)."""
    return "ok"


@mcp.resource("test://static-text", mime_type="text/plain")
def static_text() -> str:
    """A fixed text."""
    return "This is the content of the static text resource."


@mcp.resource("test://static-binary", mime_type="image/png")
def static_binary() -> bytes:
    """A 1x1 PNG."""
    return base64.b64decode(PNG)


@mcp.resource("test://watched-resource", mime_type="text/plain")
def watched() -> str:
    """The resource the subscription scenarios subscribe to."""
    return "Watched resource content."


@mcp.resource("test://template/{id}/data", mime_type="application/json")
def template(id: str) -> str:
    """Data for one id."""
    return f'{{"id":"{id}","templateTest":true,"data":"Data for ID: {id}"}}'


@mcp.prompt()
def test_simple_prompt() -> str:
    """A fixed prompt."""
    return "This is a simple prompt for testing."


@mcp.prompt()
def test_prompt_with_arguments(arg1: str, arg2: str) -> str:
    """A prompt with two arguments."""
    return f"Prompt with arguments: arg1='{arg1}', arg2='{arg2}'"


@mcp.prompt()
def test_prompt_with_embedded_resource(resourceUri: str) -> list:
    """A prompt that embeds a resource."""
    return [
        {
            "role": "user",
            "content": embedded(resourceUri, "text/plain", "Embedded resource content for testing."),
        },
        {"role": "user", "content": text("Please process the embedded resource above.")},
    ]


@mcp.prompt()
def test_prompt_with_image() -> list:
    """A prompt with an image."""
    return [
        {"role": "user", "content": ImageContent(type="image", data=PNG, mimeType="image/png")},
        {"role": "user", "content": text("Please analyze the image above.")},
    ]


# 2026-07-28's multi round-trip requests (SEP-2322): a tool asks for input by
# answering `input_required`; the client retries with `inputResponses` and the
# echoed `requestState` (which MCPServer seals, so a tampered one is refused).


def ask_name(message="What is your name?", field="name"):
    return {
        "method": "elicitation/create",
        "params": {
            "message": message,
            "requestedSchema": {
                "type": "object",
                "properties": {field: {"type": "string"}},
                "required": [field],
            },
        },
    }


def ask_model(text_, max_tokens=100):
    return {
        "method": "sampling/createMessage",
        "params": {
            "messages": [{"role": "user", "content": {"type": "text", "text": text_}}],
            "maxTokens": max_tokens,
        },
    }


ASK_ROOTS = {"method": "roots/list", "params": {}}


def answers(ctx: Context) -> dict:
    """The client's input responses as plain JSON, by key."""
    given = ctx.input_responses or {}
    return {
        key: value.model_dump(by_alias=True, exclude_none=True)
        if hasattr(value, "model_dump")
        else value
        for key, value in dict(given).items()
    }


def need(requests: dict, state: str | None = None) -> InputRequiredResult:
    return InputRequiredResult(input_requests=requests, request_state=state)


def elicited(answer: dict, field: str):
    return (answer.get("content") or {}).get(field)


def sampled(answer: dict) -> str:
    content = answer.get("content") or {}
    return content.get("text", "") if isinstance(content, dict) else str(content)


@mcp.tool()
def test_input_required_result_elicitation(ctx: Context):
    """Asks the user's name, then greets them."""
    given = answers(ctx)
    if "user_name" not in given:
        return need({"user_name": ask_name()})
    return f"Hello, {elicited(given['user_name'], 'name')}!"


@mcp.tool()
def test_input_required_result_sampling(ctx: Context):
    """Asks the client's model a question."""
    given = answers(ctx)
    if "capital_question" not in given:
        return need({"capital_question": ask_model("What is the capital of France?")})
    return f"The model said: {sampled(given['capital_question'])}"


@mcp.tool()
def test_input_required_result_list_roots(ctx: Context):
    """Asks the client's roots."""
    given = answers(ctx)
    if "client_roots" not in given:
        return need({"client_roots": ASK_ROOTS})
    roots = [root.get("uri") for root in given["client_roots"].get("roots", [])]
    return f"Roots: {', '.join(map(str, roots))}"


@mcp.tool()
def test_input_required_result_request_state(ctx: Context):
    """Asks for a confirmation and carries state."""
    given = answers(ctx)
    if "confirm" not in given or ctx.request_state != "round-1":
        return need(
            {"confirm": {"method": "elicitation/create", "params": {
                "message": "Please confirm",
                "requestedSchema": {
                    "type": "object",
                    "properties": {"ok": {"type": "boolean"}},
                    "required": ["ok"],
                },
            }}},
            "round-1",
        )
    return "Confirmed: state-ok"


@mcp.tool()
def test_input_required_result_multiple_inputs(ctx: Context):
    """Asks the user, the model and the roots at once."""
    given = answers(ctx)
    wanted = {
        "user_name": ask_name(),
        "greeting": ask_model("Generate a greeting", 50),
        "client_roots": ASK_ROOTS,
    }
    missing = {key: ask for key, ask in wanted.items() if key not in given}
    if missing or ctx.request_state != "all-three":
        return need(missing or wanted, "all-three")
    return f"Got everything for {elicited(given['user_name'], 'name')}"


@mcp.tool()
def test_input_required_result_multi_round(ctx: Context):
    """Asks a name, then a colour, in two rounds."""
    given = answers(ctx)
    if ctx.request_state == "step-2" and "step2" in given:
        return f"Your favorite color is {elicited(given['step2'], 'color')}"
    if ctx.request_state == "step-1" and "step1" in given:
        name = elicited(given["step1"], "name")
        return need(
            {"step2": ask_name(f"Step 2: {name}, what is your favorite color?", "color")},
            "step-2",
        )
    return need({"step1": ask_name("Step 1: What is your name?")}, "step-1")


@mcp.tool()
def test_input_required_result_tampered_state(ctx: Context):
    """Carries sealed state: a tampered one never gets here."""
    given = answers(ctx)
    if "confirm" not in given or ctx.request_state != "sealed":
        return need({"confirm": ask_name("Please confirm", "ok")}, "sealed")
    return "state-ok"


@mcp.tool()
def test_input_required_result_capabilities(ctx: Context):
    """Asks only for what the client declared it can answer."""
    given = answers(ctx)
    declared = ctx.client_capabilities
    asks = {}
    if declared is not None and declared.sampling is not None:
        asks["question"] = ask_model("What is 2 + 2?")
    if declared is not None and declared.elicitation is not None:
        asks["user_name"] = ask_name()
    missing = {key: ask for key, ask in asks.items() if key not in given}
    if missing:
        return need(missing)
    return "Asked only what the client can answer"


@mcp.prompt()
def test_input_required_result_prompt(ctx: Context):
    """A prompt that asks for its context first."""
    given = answers(ctx)
    if "user_context" not in given:
        return need({"user_context": ask_name("What context should the prompt use?", "context")})
    context = elicited(given["user_context"], "context")
    return GetPromptResult(
        messages=[PromptMessage(role="user", content=text(f"Use this context: {context}"))]
    )


# The stateless scenario's diagnostic tools (SEP-2575).


@mcp.tool()
def test_missing_capability(ctx: Context) -> str:
    """Needs sampling: refused (-32021) to a client that did not declare it."""
    declared = ctx.client_capabilities
    if declared is None or declared.sampling is None:
        raise MCPError(
            code=MISSING_REQUIRED_CLIENT_CAPABILITY,
            message="this tool needs the sampling capability",
            data={"requiredCapabilities": {"sampling": {}}},
        )
    return "sampling was declared"


@mcp.tool()
def test_streaming_elicitation(ctx: Context):
    """Asks the user, on the request's own stream."""
    given = answers(ctx)
    if "user_name" not in given:
        return need({"user_name": ask_name()})
    return f"Hello, {elicited(given['user_name'], 'name')}!"


@mcp.tool()
async def test_logging_tool(ctx: Context) -> str:
    """Logs a line: heard only by a request that asked for a log level."""
    await ctx.info("a line from test_logging_tool")
    return "logged"


@mcp.completion()
async def complete(ref, argument, context):
    return Completion(values=[], total=0, hasMore=False)


# The handshake era's logging/setLevel and resource subscriptions, which
# MCPServer leaves out (2026-07-28 removed them): accepted, as the
# scenarios ask; the level is kept for this server's log lines.
async def set_level(ctx, params):
    return EmptyResult()


SUBSCRIBERS = {}


async def subscription(ctx, params):
    """Subscribes (or, for unsubscribe, forgets) the session asking."""
    watching = SUBSCRIBERS.setdefault(str(params.uri), [])
    if ctx.method == "resources/subscribe":
        watching.append(ctx.session)
    else:
        watching[:] = [s for s in watching if s is not ctx.session]
    return EmptyResult()


@mcp.tool()
async def test_touch_watched_resource() -> str:
    """Tells the sessions subscribed to test://watched-resource it changed."""
    for session in SUBSCRIBERS.get("test://watched-resource", []):
        try:
            await session.send_resource_updated("test://watched-resource")
        except Exception:  # noqa: BLE001 - a session gone meanwhile
            pass
    return "touched"


mcp._lowlevel_server.add_request_handler("logging/setLevel", SetLevelRequestParams, set_level)
mcp._lowlevel_server.add_request_handler("resources/subscribe", SubscribeRequestParams, subscription)
mcp._lowlevel_server.add_request_handler(
    "resources/unsubscribe", UnsubscribeRequestParams, subscription
)


def main():
    port = int(sys.argv[1])
    uvicorn.run(
        mcp.streamable_http_app(), host="127.0.0.1", port=port, log_level="warning", lifespan="on"
    )


if __name__ == "__main__":
    main()
