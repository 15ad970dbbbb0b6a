-- Data as it stood after migration 0007_reviewers_sign_in_as_accounts: a second reviewer, created
-- with its account (password_hash '-').
INSERT INTO reviewers (id, username, display_name, password_hash, created_at) VALUES
  ('rvr_01jd0000000000000000000002', 'fixture2', 'Fixture Reviewer 2', '-', 1700000100000);
