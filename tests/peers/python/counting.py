"""A minimal MCP server (standard library only) that counts the sessions
opened on each path, for tests of how often the registry checks servers.
Usage: counting.py [--tls CERT KEY] PORT. Any path under /mcp/ serves MCP (one
tool; under /mcp/paged, 25 tools over 3 pages, 2 resources, a resource template
and a prompt, as paged_server.py offers); a method it does not know is a
-32601 error, except under /mcp/sloppy, where it gets an empty result (as the
conformance suite's own test server answers). GET /count answers
{"/mcp/a": 3, ...}."""

import json
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

COUNTS = {}
LOCK = threading.Lock()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body go out in separate writes: without this, delayed ACKs
    # hold every keep-alive answer back by 40 ms.
    disable_nagle_algorithm = True

    def log_message(self, *args):
        pass

    def reply(self, status, body=b""):
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        if self.path == "/count":
            with LOCK:
                return self.reply(200, json.dumps(COUNTS).encode())
        self.reply(405)

    def do_DELETE(self):
        self.reply(200)

    def do_POST(self):
        length = int(self.headers.get("Content-Length", 0))
        message = json.loads(self.rfile.read(length) or b"{}")
        method, request_id = message.get("method"), message.get("id")
        if request_id is None:
            return self.reply(202)
        if method == "initialize":
            with LOCK:
                COUNTS[self.path] = COUNTS.get(self.path, 0) + 1
            result = {
                "protocolVersion": "2025-06-18",
                "capabilities": {"tools": {}, "resources": {}, "prompts": {}}
                if self.path.startswith("/mcp/paged") else {"tools": {}},
                "serverInfo": {"name": "counting", "version": "1"},
            }
        elif method == "tools/list" and self.path.startswith("/mcp/paged"):
            start = int((message.get("params") or {}).get("cursor") or 0)
            result = {"tools": [
                {"name": f"tool_{i:02d}", "title": f"Tool {i}", "description": f"Does thing number {i}",
                 "inputSchema": {"type": "object", "properties": {"n": {"type": "integer"}}}}
                for i in range(start, min(start + 10, 25))
            ]}
            if start + 10 < 25:
                result["nextCursor"] = str(start + 10)
        elif method == "tools/list":
            result = {"tools": [{"name": "noop", "inputSchema": {"type": "object"}}]}
        elif method == "resources/list":
            result = {"resources": [{"uri": "file:///readme.md", "name": "readme"},
                                    {"uri": "file:///data.csv", "name": "data"}]}
        elif method == "resources/templates/list":
            result = {"resourceTemplates": [{"uriTemplate": "file:///logs/{day}", "name": "logs"}]}
        elif method == "prompts/list":
            result = {"prompts": [{"name": "summarise", "arguments": [{"name": "text", "required": True}]}]}
        elif method in ("ping", "notifications/initialized") or self.path.startswith("/mcp/sloppy"):
            result = {}
        else:
            # A server of 2025-06-18 knows nothing of server/discover.
            error = {"code": -32601, "message": f"Method not found: {method}"}
            return self.reply(200, json.dumps({"jsonrpc": "2.0", "id": request_id, "error": error}).encode())
        self.reply(200, json.dumps({"jsonrpc": "2.0", "id": request_id, "result": result}).encode())


server = ThreadingHTTPServer(("127.0.0.1", int(sys.argv[-1])), Handler)
if sys.argv[1] == "--tls":
    import ssl

    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(sys.argv[2], sys.argv[3])
    server.socket = context.wrap_socket(server.socket, server_side=True)
server.serve_forever()
