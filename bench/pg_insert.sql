-- pgbench: the row a create writes (same columns, indexes and sizes, an API key
-- sealed to the same length), one statement per transaction, as the server does.
\set n random(1, 9000000000000000)
INSERT INTO mcp_servers (id, name, name_key, description, url, transport_type, status,
                         api_key_sealed, headers_sealed, created_at, updated_at, version)
SELECT 'mcp_' || h, 'bench-' || h, 'bench-' || h, 'benchmark server', 'https://mcp.example.com/mcp',
       'http', 'active',
       'v1:0a1b2c3d:' || rpad(encode(sha512(h::bytea), 'base64'), 84, 'A'), NULL,
       now(), now(), 1
FROM (SELECT md5(random()::text || :n || clock_timestamp()::text) AS h) AS fresh;
