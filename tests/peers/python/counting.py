"""A minimal MCP server (standard library only) that counts the sessions
opened on each path, for tests of how often the registry checks servers.
Usage: counting.py [--tls CERT KEY] PORT. Any path under /mcp/ serves MCP;
GET /count answers {"/mcp/a": 3, ...}."""

import json
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

COUNTS = {}
LOCK = threading.Lock()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

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
                "capabilities": {"tools": {}},
                "serverInfo": {"name": "counting", "version": "1"},
            }
        elif method == "tools/list":
            result = {"tools": [{"name": "noop", "inputSchema": {"type": "object"}}]}
        else:
            result = {}
        self.reply(200, json.dumps({"jsonrpc": "2.0", "id": request_id, "result": result}).encode())


server = ThreadingHTTPServer(("127.0.0.1", int(sys.argv[-1])), Handler)
if sys.argv[1] == "--tls":
    import ssl

    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(sys.argv[2], sys.argv[3])
    server.socket = context.wrap_socket(server.socket, server_side=True)
server.serve_forever()
