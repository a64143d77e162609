-- pgbench -M prepared -D k=0: the row a create writes, as cheaply as PostgreSQL
-- takes it. The server's own table with all its indexes; one statement per
-- transaction, as the server commits each create; ids that grow with time as
-- the server's UUIDv7 ids do (each client counts up, the clients interleave),
-- so every insert lands at the right edge of the primary key as the server's
-- do; the sealed api_key as a literal of the length the server stores. Only
-- the id's text is computed; nothing is hashed or drawn at random. (The
-- literal spells its colons \x3a: pgbench would read :name as a variable.)
\set k :k + 1
INSERT INTO mcp_servers (id, name, name_key, description, url, transport_type, status,
                         api_key_sealed, headers_sealed, created_at, updated_at, version,
                         server_version)
VALUES ('mcp_' || lpad(to_hex(:k * 1024 + :client_id), 32, '0'),
        'bench-' || :client_id || '-' || :k, 'bench-' || :client_id || '-' || :k,
        'benchmark server', 'https://mcp.example.com/mcp', 'http', 'active',
        E'v1\x3a0a1b2c3d\x3aAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA',
        NULL, now(), now(), 1, '1.0.0');
