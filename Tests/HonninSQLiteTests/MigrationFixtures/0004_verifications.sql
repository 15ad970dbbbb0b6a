-- Data as it stood after migration 0004_verifications: a flow waiting for review, its
-- idempotency key and a pending webhook delivery.
INSERT INTO verifications (id, state, reference, created_at, updated_at, expires_at, version, body) VALUES
  ('vfy_01jd0000000000000000000001', 'needs_review', 'order-1', 1700000000000, 1700000001000, 1700086400000, 4, x'7b7d');
INSERT INTO idempotency_keys (scope, key, request_sha256, created_at) VALUES
  ('vfy_01jd0000000000000000000001 document-upload submit', 'k1', zeroblob(32), 1700000001000);
INSERT INTO webhook_deliveries (id, verification_id, event, url, payload, created_at, status, attempts, next_attempt_at) VALUES
  ('whd_01jd0000000000000000000001', 'vfy_01jd0000000000000000000001', 'verification.needs_review', 'https://example.jp/hook', x'7b7d', 1700000001000, 'pending', 0, 1700000001000);
