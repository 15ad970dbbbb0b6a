-- Data as it stood after migration 0005_reviews_records: a reviewer with a session, and the
-- record of the fixture flow (its vault record is the sealed one of 0003).
INSERT INTO reviewers (id, username, display_name, password_hash, created_at) VALUES
  ('rvr_01jd0000000000000000000001', 'fixture', 'Fixture Reviewer', '$scrypt$ln=15,r=8,p=1$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA', 1700000000000);
INSERT INTO reviewer_sessions (id, reviewer_id, token_sha256, csrf_token, created_at, last_seen_at, expires_at) VALUES
  ('rss_01jd0000000000000000000001', 'rvr_01jd0000000000000000000001', zeroblob(32), 'csrf', 1700000000000, 1700000000000, 1700028800000);
INSERT INTO verification_records (id, verification_id, vault_record_id, created_at, retention_basis, retention_days, expires_at) VALUES
  ('rec_01jd0000000000000000000001', 'vfy_01jd0000000000000000000001', 'vlt_01jd0000000000000000000001', 1700000002000, 'relationship_end', 2557, NULL);
