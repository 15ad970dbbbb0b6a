import GRDB
import HonninCore

/// Forward-only, numbered schema migrations. A migration, once released, never changes: a new
/// need gets a new number. Each has a test in `HonninSQLiteTests/MigrationTests.swift` that
/// runs it on a database holding the previous version's fixtures.
public enum SchemaMigrations {
    /// `(identifier, SQL)` in order. Identifiers are `NNNN_name`.
    public static let all: [(id: String, sql: String)] = [
        (
            "0001_audit_log",
            """
            -- Append-only hash chain (see HonninStore/Audit.swift). Only seq, the hashed bytes and
            -- the hash are stored, so every stored byte is covered by verification.
            CREATE TABLE audit_entries (
                seq  INTEGER PRIMARY KEY NOT NULL CHECK (seq >= 1),
                body BLOB NOT NULL,
                hash BLOB NOT NULL CHECK (length(hash) = 32)
            ) STRICT;
            CREATE TABLE audit_checkpoints (
                seq       INTEGER PRIMARY KEY NOT NULL,
                hash      BLOB NOT NULL,
                interval  INTEGER NOT NULL,
                key_id    TEXT NOT NULL,
                signature BLOB NOT NULL
            ) STRICT;
            CREATE TRIGGER audit_entries_append_only_u BEFORE UPDATE ON audit_entries
                BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END;
            CREATE TRIGGER audit_entries_append_only_d BEFORE DELETE ON audit_entries
                BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END;
            CREATE TRIGGER audit_checkpoints_append_only_u BEFORE UPDATE ON audit_checkpoints
                BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END;
            CREATE TRIGGER audit_checkpoints_append_only_d BEFORE DELETE ON audit_checkpoints
                BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END;
            """
        ),
        (
            "0002_api_keys",
            """
            CREATE TABLE api_keys (
                id            TEXT PRIMARY KEY NOT NULL,
                name          TEXT NOT NULL,
                secret_sha256 BLOB NOT NULL CHECK (length(secret_sha256) = 32),
                created_at    INTEGER NOT NULL,
                revoked_at    INTEGER
            ) STRICT;
            """
        ),
        (
            "0003_vault",
            """
            CREATE TABLE vault_keks (
                id         TEXT PRIMARY KEY NOT NULL,
                created_at INTEGER NOT NULL,
                active     INTEGER NOT NULL CHECK (active IN (0, 1))
            ) STRICT;
            CREATE UNIQUE INDEX vault_keks_single_active ON vault_keks (active) WHERE active = 1;
            -- A record either has a wrapped data key or is erased (tombstone), never both.
            CREATE TABLE vault_records (
                id               TEXT PRIMARY KEY NOT NULL,
                created_at       INTEGER NOT NULL,
                kek_id           TEXT REFERENCES vault_keks (id),
                wrapped_data_key BLOB,
                erased_at        INTEGER,
                CHECK ((erased_at IS NULL) = (wrapped_data_key IS NOT NULL)),
                CHECK ((kek_id IS NULL) = (wrapped_data_key IS NULL))
            ) STRICT;
            CREATE INDEX vault_records_by_kek ON vault_records (kek_id) WHERE kek_id IS NOT NULL;
            CREATE TABLE vault_fields (
                record_id TEXT NOT NULL REFERENCES vault_records (id) ON DELETE CASCADE,
                name      TEXT NOT NULL,
                sealed    BLOB NOT NULL,
                PRIMARY KEY (record_id, name)
            ) STRICT, WITHOUT ROWID;
            """
        ),
        (
            "0004_verifications",
            """
            -- Verification flows (HonninProofing). `body` is the flow value as JSON: identifiers,
            -- states, digests and settings, never personal data (that lives in vault records).
            -- The columns beside it exist for lookups and compare-and-swap on `version`.
            CREATE TABLE verifications (
                id         TEXT PRIMARY KEY NOT NULL,
                state      TEXT NOT NULL,
                reference  TEXT,
                created_at INTEGER NOT NULL,
                updated_at INTEGER NOT NULL,
                expires_at INTEGER NOT NULL,
                version    INTEGER NOT NULL CHECK (version >= 1),
                body       BLOB NOT NULL
            ) STRICT;
            CREATE INDEX verifications_by_state ON verifications (state, id);
            CREATE INDEX verifications_by_reference ON verifications (reference, id) WHERE reference IS NOT NULL;
            CREATE INDEX verifications_due ON verifications (expires_at) WHERE state IN ('created', 'method_chosen');
            CREATE INDEX verifications_undecided ON verifications (id) WHERE state IN ('evidence_submitted', 'verifying');
            CREATE TABLE idempotency_keys (
                scope          TEXT NOT NULL,
                key            TEXT NOT NULL,
                request_sha256 BLOB NOT NULL CHECK (length(request_sha256) = 32),
                created_at     INTEGER NOT NULL,
                PRIMARY KEY (scope, key)
            ) STRICT, WITHOUT ROWID;
            -- Webhook outbox: written with the state change it announces.
            CREATE TABLE webhook_deliveries (
                id              TEXT PRIMARY KEY NOT NULL,
                verification_id TEXT NOT NULL REFERENCES verifications (id),
                event           TEXT NOT NULL,
                url             TEXT NOT NULL,
                payload         BLOB NOT NULL,
                created_at      INTEGER NOT NULL,
                status          TEXT NOT NULL CHECK (status IN ('pending', 'delivered', 'failed')),
                attempts        INTEGER NOT NULL,
                next_attempt_at INTEGER NOT NULL,
                last_error      TEXT,
                last_attempt_at INTEGER,
                response_status INTEGER
            ) STRICT;
            CREATE INDEX webhook_deliveries_pending ON webhook_deliveries (next_attempt_at) WHERE status = 'pending';
            CREATE INDEX webhook_deliveries_by_verification ON webhook_deliveries (verification_id, id);
            """
        ),
        (
            "0005_reviews_records",
            """
            -- Reviewers of the console (password hashes are scrypt PHC strings) and their sessions
            -- (only the SHA-256 of the cookie token is stored).
            CREATE TABLE reviewers (
                id            TEXT PRIMARY KEY NOT NULL,
                username      TEXT NOT NULL UNIQUE,
                display_name  TEXT NOT NULL,
                password_hash TEXT NOT NULL,
                created_at    INTEGER NOT NULL,
                disabled_at   INTEGER
            ) STRICT;
            CREATE TABLE reviewer_sessions (
                id           TEXT PRIMARY KEY NOT NULL,
                reviewer_id  TEXT NOT NULL REFERENCES reviewers (id),
                token_sha256 BLOB NOT NULL CHECK (length(token_sha256) = 32),
                csrf_token   TEXT NOT NULL,
                created_at   INTEGER NOT NULL,
                last_seen_at INTEGER NOT NULL,
                expires_at   INTEGER NOT NULL
            ) STRICT;
            -- 本人確認記録: the content is a vault record (crypto-shredded when the retention ends).
            CREATE TABLE verification_records (
                id                    TEXT PRIMARY KEY NOT NULL,
                verification_id       TEXT NOT NULL UNIQUE REFERENCES verifications (id),
                vault_record_id       TEXT NOT NULL REFERENCES vault_records (id),
                created_at            INTEGER NOT NULL,
                retention_basis       TEXT NOT NULL CHECK (retention_basis IN ('verification', 'relationship_end')),
                retention_days        INTEGER NOT NULL CHECK (retention_days >= 1),
                relationship_ended_on TEXT,
                expires_at            INTEGER,
                erased_at             INTEGER
            ) STRICT;
            CREATE INDEX verification_records_expiring ON verification_records (expires_at) WHERE erased_at IS NULL AND expires_at IS NOT NULL;
            """
        ),
        (
            "0006_accounts",
            """
            -- Accounts (HonninAuthn). The user name and display name are personal data and live
            -- sealed in the vault record `profile_id`; the account is found by the keyed digest
            -- (HMAC-SHA-256) of the normalised user name.
            CREATE TABLE accounts (
                id              TEXT PRIMARY KEY NOT NULL,
                username_digest BLOB NOT NULL UNIQUE CHECK (length(username_digest) = 32),
                profile_id      TEXT NOT NULL,
                created_at      INTEGER NOT NULL,
                origin          TEXT NOT NULL CHECK (origin <> ''),
                roles           TEXT NOT NULL CHECK (json_valid(roles) AND json_type(roles) = 'array'),
                disabled_at     INTEGER
            ) STRICT;
            -- `secret` is the authenticator's secret as JSON (a PHC string, a vault reference, a
            -- WebAuthn credential record, a JPKI link key). `credential_id` and `jpki_link_key`
            -- repeat the lookup keys it holds, one credential or card per authenticator.
            CREATE TABLE authenticators (
                id            TEXT PRIMARY KEY NOT NULL,
                account_id    TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
                method        TEXT NOT NULL CHECK (method IN ('password', 'totp', 'recovery_code', 'passkey', 'security_key', 'jpki_user_certificate')),
                label         TEXT NOT NULL,
                secret        TEXT NOT NULL CHECK (json_valid(secret)),
                created_at    INTEGER NOT NULL,
                last_used_at  INTEGER,
                pending       INTEGER NOT NULL CHECK (pending IN (0, 1)),
                version       INTEGER NOT NULL CHECK (version >= 0),
                credential_id BLOB UNIQUE CHECK (credential_id IS NULL OR length(credential_id) BETWEEN 1 AND 1023),
                jpki_link_key TEXT UNIQUE CHECK (jpki_link_key IS NULL OR jpki_link_key <> ''),
                CHECK (credential_id IS NULL OR method IN ('passkey', 'security_key')),
                CHECK (jpki_link_key IS NULL OR method = 'jpki_user_certificate')
            ) STRICT;
            CREATE INDEX authenticators_by_account ON authenticators (account_id, id);
            -- Sessions: only the SHA-256 of the client's token is stored. `entries` is the list of
            -- factors used (JSON); the assurance level is derived from it, never stored.
            CREATE TABLE sessions (
                id              TEXT PRIMARY KEY NOT NULL,
                account_id      TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
                token_digest    BLOB NOT NULL CHECK (length(token_digest) = 32),
                csrf_token      TEXT NOT NULL,
                created_at      INTEGER NOT NULL,
                last_seen_at    INTEGER NOT NULL,
                expires_at      INTEGER NOT NULL,
                entries         TEXT NOT NULL CHECK (json_valid(entries) AND json_type(entries) = 'array'),
                client          TEXT NOT NULL,
                enrolment_until INTEGER,
                version         INTEGER NOT NULL CHECK (version >= 0)
            ) STRICT;
            CREATE INDEX sessions_by_account ON sessions (account_id, id);
            CREATE INDEX sessions_by_expiry ON sessions (expires_at);
            -- WebAuthn and JPKI challenges waiting for their answer, by SHA-256; each is deleted
            -- when it is answered (single use).
            CREATE TABLE auth_challenges (
                digest            BLOB PRIMARY KEY NOT NULL CHECK (length(digest) = 32),
                purpose           TEXT NOT NULL CHECK (purpose IN ('registration', 'authentication', 'jpki')),
                session_id        TEXT,
                account_id        TEXT,
                user_verification TEXT NOT NULL,
                method            TEXT CHECK (method IS NULL OR method IN ('password', 'totp', 'recovery_code', 'passkey', 'security_key', 'jpki_user_certificate')),
                expires_at        INTEGER NOT NULL
            ) STRICT, WITHOUT ROWID;
            CREATE INDEX auth_challenges_by_expiry ON auth_challenges (expires_at);
            -- Consecutive failed logins per user-name digest (known user names or not).
            CREATE TABLE login_throttles (
                username_digest BLOB PRIMARY KEY NOT NULL CHECK (length(username_digest) = 32),
                failures        INTEGER NOT NULL CHECK (failures >= 0),
                last_failure_at INTEGER
            ) STRICT, WITHOUT ROWID;
            """
        ),
        (
            "0007_reviewers_sign_in_as_accounts",
            """
            -- Reviewers sign in as accounts (0006) at AAL2; the console's own password sessions end.
            -- The reviewers table keeps its password_hash column (now '-' for every new reviewer).
            DROP TABLE reviewer_sessions;
            UPDATE reviewers SET password_hash = '-';
            """
        ),
        (
            "0008_jpki_card_holder",
            """
            -- The keyed digest of the person a JPKI card's signature certificate names (also inside
            -- `secret`), so a renewed card can be linked again after a new proofing of the same person.
            ALTER TABLE authenticators ADD COLUMN jpki_holder TEXT CHECK (jpki_holder IS NULL OR method = 'jpki_user_certificate');
            CREATE INDEX authenticators_by_jpki_holder ON authenticators (jpki_holder) WHERE jpki_holder IS NOT NULL;
            """
        ),
    ]

    /// The migrator; `upTo` stops after that identifier (for migration tests).
    public static func migrator() -> DatabaseMigrator {
        var migrator = DatabaseMigrator()
        for (id, sql) in all {
            migrator.registerMigration(id) { db in try db.execute(sql: sql) }
        }
        return migrator
    }
}
