-- Data as it stood after migration 0003_vault: a KEK, a sealed record with a field, an erased record.
INSERT INTO vault_keks (id, created_at, active) VALUES ('kek_01jd0000000000000000000001', 1700000000000, 1);
INSERT INTO vault_records (id, created_at, kek_id, wrapped_data_key, erased_at) VALUES
  ('vlt_01jd0000000000000000000001', 1700000000000, 'kek_01jd0000000000000000000001', randomblob(60), NULL),
  ('vlt_01jd0000000000000000000002', 1700000000000, NULL, NULL, 1700000002000);
INSERT INTO vault_fields (record_id, name, sealed) VALUES ('vlt_01jd0000000000000000000001', 'name', randomblob(40));
