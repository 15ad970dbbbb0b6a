-- Data as it stood after migration 0008_jpki_card_holder: a card linked before 0008 (its secret
-- has no holder) and a card linked with its holder's digest.
INSERT INTO authenticators (id, account_id, method, label, secret, created_at, last_used_at, pending, version, credential_id, jpki_link_key, jpki_holder) VALUES
  ('atr_01jd0000000000000000000003', 'acc_01jd0000000000000000000001', 'jpki_user_certificate', 'My Number Card',
   '{"jpki":{"linkKey":"CN=old#01","notAfter":1800000000000}}', 1700000003000, NULL, 0, 0, NULL, 'CN=old#01', NULL),
  ('atr_01jd0000000000000000000004', 'acc_01jd0000000000000000000001', 'jpki_user_certificate', 'My Number Card',
   '{"jpki":{"holder":"aG9sZGVy","linkKey":"CN=new#02","notAfter":1900000000000}}', 1700000004000, NULL, 0, 0, NULL, 'CN=new#02', 'aG9sZGVy');
