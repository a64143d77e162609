"""Misbehaving "MCP servers" for the registry's tests, on the standard library
only. Usage: hostile.py MODE PORT, where MODE is one of
hang, trickle, huge, many, invalid_json, jsonrpc_error, status:CODE, redirect,
big_tools, dense_tools, big_answer, dense_answer, big_answer_sse, dense_answer_sse,
big_answer_chunked, dense_answer_resumed, call_fails:STATUS[:json],
dense_initialize_later, huge_answer (17 MB, over the gateway's cap),
resumable (2025-11-25's SEP-1699: a call's stream closes after a priming
event, and the answer waits for the agent to come back with Last-Event-ID).
A server that echoes what it was sent (the credentials too) does so in every
error body, so tests can check that nothing of it reaches the registry's
answers or logs."""

import json
import socket
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

MODE = sys.argv[1]
PORT = int(sys.argv[2])
# The id of the last tools/call, answered when its stream is resumed.
LAST_CALL = {}


def initialize_result(request_id):
    return {
        "jsonrpc": "2.0",
        "id": request_id,
        "result": {
            "protocolVersion": "2025-06-18",
            "capabilities": {"tools": {}},
            "serverInfo": {"name": "hostile", "version": "0"},
        },
    }


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def echo(self):
        return json.dumps({"echo": dict(self.headers)}).encode()

    def reply(self, status, body, content_type="application/json"):
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def reply_chunked(self, body, content_type="application/json"):
        """The body in chunks of 1 MB, its length not said beforehand."""
        self.send_response(200)
        self.send_header("Content-Type", content_type)
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        for start in range(0, len(body), 1_000_000):
            chunk = body[start:start + 1_000_000]
            self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
        self.wfile.write(b"0\r\n\r\n")

    def do_DELETE(self):
        self.reply(200, b"")

    def do_GET(self):
        if MODE == "resumable" and self.headers.get("Last-Event-ID") == "e1":
            result = {"content": [{"type": "text", "text": "42"}], "isError": False}
            answer = json.dumps({"jsonrpc": "2.0", "id": LAST_CALL.get("id"), "result": result})
            return self.reply(200, ("id: e2\ndata: " + answer + "\n\n").encode(), "text/event-stream")
        if MODE == "dense_answer_resumed" and self.headers.get("Last-Event-ID") == "e1":
            values = [0] * 7_500_000
            result = {"content": [{"type": "text", "text": "dense"}], "structuredContent": {"values": values}}
            answer = json.dumps({"jsonrpc": "2.0", "id": LAST_CALL.get("id"), "result": result}, separators=(",", ":"))
            return self.reply(200, ("id: e2\ndata: " + answer + "\n\n").encode(), "text/event-stream")
        self.reply(405, b"")

    def do_POST(self):
        length = int(self.headers.get("Content-Length", 0))
        message = json.loads(self.rfile.read(length) or b"{}")
        method, request_id = message.get("method"), message.get("id")
        if MODE.startswith("status:"):
            return self.reply(int(MODE.split(":")[1]), self.echo())
        if MODE == "redirect":
            self.send_response(307)
            self.send_header("Location", "http://169.254.169.254/latest/meta-data/")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        if MODE == "invalid_json":
            return self.reply(200, b'{"jsonrpc": "2.0", "id": 1, "result": {not json')
        if MODE == "jsonrpc_error":
            error = {"code": -32603, "message": "failed: " + self.echo().decode()}
            return self.reply(200, json.dumps({"jsonrpc": "2.0", "id": request_id, "error": error}).encode())
        if MODE == "trickle":
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", "1000000")
            self.end_headers()
            try:
                while True:
                    self.wfile.write(b" ")
                    self.wfile.flush()
                    time.sleep(0.5)
            except OSError:
                return
        if method == "server/discover":
            # These are servers of 2025-06-18 and 2025-11-25: they know
            # nothing of it, and say so as JSON-RPC asks.
            error = {"code": -32601, "message": "Method not found"}
            return self.reply(200, json.dumps({"jsonrpc": "2.0", "id": request_id, "error": error}).encode())
        if MODE == "many":
            # 10,001 small tools over 3 pages: under the byte limit, over the count.
            if method == "initialize":
                return self.reply(200, json.dumps(initialize_result(request_id)).encode())
            if request_id is None:
                return self.reply(202, b"")
            start = int((message.get("params") or {}).get("cursor") or 0)
            end = min(start + 4000, 10_001)
            result = {"tools": [{"name": f"t{i}", "inputSchema": {"type": "object"}} for i in range(start, end)]}
            if end < 10_001:
                result["nextCursor"] = str(end)
            return self.reply(200, json.dumps({"jsonrpc": "2.0", "id": request_id, "result": result}).encode())
        if MODE == "dense_initialize_later" and method == "initialize":
            # The probe's initialize is answered as usual; every later one
            # with 15 MB of tiny JSON values.
            result = initialize_result(request_id)
            if LAST_CALL.setdefault("initialized", 0) > 0:
                result["result"]["capabilities"]["experimental"] = {"x": {"values": [0] * 7_500_000}}
            LAST_CALL["initialized"] += 1
            return self.reply(200, json.dumps(result, separators=(",", ":")).encode())
        if MODE == "resumable":
            if method == "initialize":
                result = initialize_result(request_id)
                result["result"]["protocolVersion"] = "2025-11-25"
                return self.reply(200, json.dumps(result).encode())
            if request_id is None:
                return self.reply(202, b"")
            if method == "tools/list":
                tool = {"name": "add", "inputSchema": {"type": "object"}}
                return self.reply(200, json.dumps({"jsonrpc": "2.0", "id": request_id, "result": {"tools": [tool]}}).encode())
            if method == "tools/call":
                LAST_CALL["id"] = request_id
                return self.reply(200, b"id: e1\nretry: 100\ndata: \n\n", "text/event-stream")
        if MODE.startswith("call_fails:") and method == "tools/call":
            # Initialized and listed like any server; a call fails with
            # STATUS, with a JSON-RPC error (json) or not, echoing what it
            # was sent.
            _, status, *kind = MODE.split(":")
            if kind == ["json"]:
                error = {"code": -32603, "message": "failed: " + self.echo().decode()}
                body = json.dumps({"jsonrpc": "2.0", "id": request_id, "error": error}).encode()
                return self.reply(int(status), body)
            return self.reply(int(status), self.echo())
        if MODE == "dense_answer_resumed" and method == "tools/call":
            # The answer's stream ends after its first event; the answer
            # comes when it is resumed (do_GET).
            LAST_CALL["id"] = request_id
            progress = {"jsonrpc": "2.0", "method": "notifications/progress", "params": {"progressToken": 0, "progress": 1}}
            return self.reply(200, ("id: e1\ndata: " + json.dumps(progress) + "\n\n").encode(), "text/event-stream")
        if MODE in ("big_tools", "dense_tools", "big_answer", "dense_answer", "big_answer_sse",
                    "dense_answer_sse", "big_answer_chunked", "dense_answer_resumed",
                    "dense_initialize_later", "huge_answer") \
                or MODE.startswith("call_fails:"):
            # Listings and answers as large as the registry takes: big_tools
            # lists 8 tools of 120 KB descriptions (a probe keeps 1 MiB);
            # dense_tools 4 tools whose schemas hold 240 KB of tiny JSON
            # values (what costs most memory to parse); big_answer answers
            # tools/call with 15 MB of text (the gateway passes 16 MiB),
            # dense_answer with 15 MB of tiny JSON values; *_sse as an event
            # stream, after a progress notification; *_chunked without its
            # length.
            if method == "initialize":
                return self.reply(200, json.dumps(initialize_result(request_id)).encode())
            if request_id is None:
                return self.reply(202, b"")
            if method == "tools/list" and MODE == "big_tools":
                tools = [{"name": f"t{i}", "description": "x" * 120_000, "inputSchema": {"type": "object"}} for i in range(8)]
            elif method == "tools/list" and MODE == "dense_tools":
                schema = {"type": "object", "enum": [[0] * 1000 for _ in range(120)]}
                tools = [{"name": f"dense{i}", "inputSchema": schema} for i in range(4)]
            elif method == "tools/list":
                tools = [{"name": "big", "inputSchema": {"type": "object"}}]
            else:
                if MODE == "huge_answer":
                    result = {"content": [{"type": "text", "text": "y" * 17_000_000}]}
                elif MODE.startswith("dense_answer"):
                    values = [0] * 7_500_000
                    result = {"content": [{"type": "text", "text": "dense"}], "structuredContent": {"values": values}}
                else:
                    result = {"content": [{"type": "text", "text": "y" * 15_000_000}], "isError": False}
                answer = json.dumps({"jsonrpc": "2.0", "id": request_id, "result": result}, separators=(",", ":"))
                if MODE.endswith("_chunked"):
                    return self.reply_chunked(answer.encode())
                if not MODE.endswith("_sse"):
                    return self.reply(200, answer.encode())
                progress = {"jsonrpc": "2.0", "method": "notifications/progress", "params": {"progressToken": 0, "progress": 1}}
                events = "event: message\ndata: " + json.dumps(progress) + "\n\nevent: message\ndata: " + answer + "\n\n"
                return self.reply(200, events.encode(), "text/event-stream")
            body = json.dumps({"jsonrpc": "2.0", "id": request_id, "result": {"tools": tools}}, separators=(",", ":"))
            return self.reply(200, body.encode())
        if MODE == "huge":
            if method == "initialize":
                return self.reply(200, json.dumps(initialize_result(request_id)).encode())
            if request_id is None:
                return self.reply(202, b"")
            # About 50 MB of tools, streamed without building it here.
            tool = json.dumps({"name": "t", "description": "x" * 1000, "inputSchema": {"type": "object"}})
            count = 50_000
            head = b'{"jsonrpc": "2.0", "id": %d, "result": {"tools": [' % request_id
            tail = b"]}}"
            size = len(head) + count * len(tool) + (count - 1) + len(tail)
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(size))
            self.end_headers()
            try:
                self.wfile.write(head)
                for i in range(count):
                    self.wfile.write((("," if i else "") + tool).encode())
                self.wfile.write(tail)
            except OSError:
                return
            return
        self.reply(500, b"unknown mode")


def hang():
    listener = socket.create_server(("127.0.0.1", PORT))
    held = []
    while True:
        connection, _ = listener.accept()
        held.append(connection)  # accepted, never answered


if MODE == "hang":
    hang()
else:
    ThreadingHTTPServer(("127.0.0.1", PORT), Handler).serve_forever()
