#!/bin/sh
# The registry as the client under test of @modelcontextprotocol/conformance:
# registers the URL the conformance tool appends (on the registry at
# $REGISTRY) and probes it. Exits 0 when the probe's state is ok.
set -eu
# The tool serves on "localhost", a name registration refuses; its port
# listens on the loopback address too.
url=$(printf '%s' "$1" | sed 's#//localhost:#//127.0.0.1:#')
name="conformance-$(date +%s%N)"
id=$(curl -sf -X POST "$REGISTRY/v1/mcp-servers" -H 'Content-Type: application/json' \
  -d "{\"name\": \"$name\", \"url\": \"$url\"}" | sed -n 's/.*"id":"\([^"]*\)".*/\1/p')
answer=$(curl -sf -X POST "$REGISTRY/v1/mcp-servers/$id/probe")
echo "$answer"
case "$answer" in *'"state":"ok"'*) exit 0 ;; *) exit 1 ;; esac
