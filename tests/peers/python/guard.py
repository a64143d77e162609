"""The bearer token the test peers ask of every HTTP request: an ASGI app
that answers 401 (JSON) to any other, and passes the rest to `app`. Plain
ASGI, so the peers of either virtualenv use it."""


def require_bearer(app, token):
    expected = f"Bearer {token}".encode()

    async def guarded(scope, receive, send):
        authorization = dict(scope.get("headers") or []).get(b"authorization", b"")
        if scope["type"] == "http" and authorization != expected:
            await send({"type": "http.response.start", "status": 401,
                        "headers": [(b"content-type", b"application/json")]})
            await send({"type": "http.response.body", "body": b'{"error":"unauthorized"}'})
            return
        await app(scope, receive, send)

    return guarded
