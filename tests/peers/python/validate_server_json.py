"""Validates server.json documents against the published MCP Registry schema.

Reads a JSON list of documents from the file named by its argument; prints {"schema": <$id>, "errors":
[[index, path, message], ...]}. The schema is the 2025-12-11 release as the
PyPI package skillsaw bundles it (a byte-for-byte copy of
static.modelcontextprotocol.io/schemas/2025-12-11/server.schema.json), so the
test needs no network beyond the package index.
"""

import json
import sys
from importlib.resources import files

from jsonschema import Draft7Validator

schema = json.loads(
    files("skillsaw.schemas.mcp_registry.v2025_12_11")
    .joinpath("server.schema.json")
    .read_text(encoding="utf-8")
)
validator = Draft7Validator(schema, format_checker=Draft7Validator.FORMAT_CHECKER)
errors = []
with open(sys.argv[1], encoding="utf-8") as documents:
    documents = json.load(documents)
for index, document in enumerate(documents):
    for error in validator.iter_errors(document):
        path = "/".join(str(part) for part in error.absolute_path)
        errors.append([index, path, error.message])
print(json.dumps({"schema": schema.get("$id"), "errors": errors}))
