-- Data as it stood after migration 0006_accounts: an account with a password and a security
-- key, a session with one factor, a pending challenge and a throttle.
INSERT INTO accounts (id, username_digest, profile_id, created_at, origin, roles, disabled_at) VALUES
  ('acc_01jd0000000000000000000001', zeroblob(32), 'vlt_01jd0000000000000000000001', 1700000000000, 'signup', '["reviewer"]', NULL);
INSERT INTO authenticators (id, account_id, method, label, secret, created_at, last_used_at, pending, version, credential_id, jpki_link_key) VALUES
  ('atr_01jd0000000000000000000001', 'acc_01jd0000000000000000000001', 'password', 'password',
   '{"password":{"hash":"$scrypt$ln=15,r=8,p=1$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"}}', 1700000000000, NULL, 0, 0, NULL, NULL),
  ('atr_01jd0000000000000000000002', 'acc_01jd0000000000000000000001', 'security_key', 'YubiKey',
   '{"webAuthn":{"_0":{"aaguid":[238,136,40,121,114,28,73,19,151,117,61,252,206,151,7,42],"algorithm":-7,"attestationClientDataJSON":[123,125],"attestationFormat":"packed","attestationObject":[160],"attestationTrusted":true,"attestationType":"basic","backupEligible":false,"backupState":false,"id":[1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16],"publicKey":[48,89],"rpID":"example.jp","signCount":41,"transports":["nfc","usb"],"type":"public-key","uvInitialized":true}}}', 1700000001000, 1700000002000, 0, 3,
   x'0102030405060708090a0b0c0d0e0f10', NULL);
INSERT INTO sessions (id, account_id, token_digest, csrf_token, created_at, last_seen_at, expires_at, entries, client, enrolment_until, version) VALUES
  ('ses_01jd0000000000000000000001', 'acc_01jd0000000000000000000001', zeroblob(32), 'csrf', 1700000000000, 1700000002000, 1702592000000,
   '[{"at":1700000000000,"authenticator":"atr_01jd0000000000000000000001","factors":["knowledge"],"hardwareBound":false,"method":"password","phishingResistant":false,"replayResistant":false}]',
   'Firefox', NULL, 1);
INSERT INTO auth_challenges (digest, purpose, session_id, account_id, user_verification, method, expires_at) VALUES
  (zeroblob(32), 'registration', 'ses_01jd0000000000000000000001', 'acc_01jd0000000000000000000001', 'required', 'security_key', 1700000300000);
INSERT INTO login_throttles (username_digest, failures, last_failure_at) VALUES (zeroblob(32), 2, 1700000001500);
