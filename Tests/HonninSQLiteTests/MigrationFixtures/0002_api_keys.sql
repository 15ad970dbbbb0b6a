-- Data as it stood after migration 0002_api_keys: one active and one revoked key.
INSERT INTO api_keys (id, name, secret_sha256, created_at, revoked_at) VALUES
  ('key_01jd0000000000000000000001', 'fixture active', zeroblob(32), 1700000000000, NULL),
  ('key_01jd0000000000000000000002', 'fixture revoked', randomblob(32), 1700000000000, 1700000001000);
