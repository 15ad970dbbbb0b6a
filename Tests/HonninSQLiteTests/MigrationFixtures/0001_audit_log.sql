-- Data as it stood after migration 0001_audit_log: two audit entries (bytes arbitrary here:
-- migrations must carry them over unchanged, not judge them).
INSERT INTO audit_entries (seq, body, hash) VALUES
  (1, CAST('{"action":"fixture.one"}' AS BLOB), zeroblob(32)),
  (2, CAST('{"action":"fixture.two"}' AS BLOB), randomblob(32));
