/**
 * SQLite schema migrations, applied in order at start and recorded by id in `schema_migrations`.
 * Append new entries at the end (never edit an applied one): each area of the bot adds its own.
 */
export interface Migration {
  id: string;
  sql: string;
}

export const MIGRATIONS: Migration[] = [
  {
    id: '0001-audit',
    sql: `
      CREATE TABLE audit_log (
        seq        INTEGER PRIMARY KEY,
        at         TEXT NOT NULL,
        action     TEXT NOT NULL,
        actor      TEXT NOT NULL,
        subject_id TEXT,
        detail     TEXT NOT NULL,
        prev_hash  TEXT NOT NULL,
        hash       TEXT NOT NULL
      );
      CREATE INDEX audit_log_subject ON audit_log(subject_id);
      CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
        BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
      CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
        BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;`,
  },
  {
    id: '0002-conversations',
    sql: `
      CREATE TABLE conversation_refs (
        conversation_id TEXT PRIMARY KEY,
        reference       TEXT NOT NULL,
        updated_at      TEXT NOT NULL
      );
      CREATE TABLE user_ids (
        aad_object_id  TEXT PRIMARY KEY,
        teams_user_id  TEXT NOT NULL,
        name           TEXT NOT NULL,
        updated_at     TEXT NOT NULL
      );
      CREATE TABLE server_keys (
        name       TEXT PRIMARY KEY,
        value      TEXT NOT NULL,
        created_at TEXT NOT NULL
      );`,
  },
  {
    id: '0003-intake',
    sql: `
      CREATE TABLE intake_drafts (
        id           TEXT PRIMARY KEY,
        owner_id     TEXT NOT NULL,
        owner_name   TEXT NOT NULL,
        target_label TEXT NOT NULL,
        position     TEXT NOT NULL,
        data         TEXT NOT NULL,
        state        TEXT NOT NULL CHECK (state IN ('open', 'closed', 'discarded')),
        version      INTEGER NOT NULL,
        created_at   TEXT NOT NULL,
        updated_at   TEXT NOT NULL
      );
      CREATE UNIQUE INDEX intake_drafts_one_open ON intake_drafts(owner_id, target_label COLLATE NOCASE) WHERE state = 'open';
      CREATE TABLE requests (
        id           TEXT PRIMARY KEY,
        owner_id     TEXT NOT NULL,
        owner_name   TEXT NOT NULL,
        target_label TEXT NOT NULL,
        body         TEXT NOT NULL,
        status       TEXT NOT NULL CHECK (status IN ('draft', 'submitted', 'active')),
        submitted_on TEXT,
        active_on    TEXT,
        created_at   TEXT NOT NULL,
        updated_at   TEXT NOT NULL
      );
      CREATE INDEX requests_updated ON requests(updated_at);`,
  },
  {
    id: '0004-plans',
    sql: `
      CREATE TABLE plans (
        id              TEXT PRIMARY KEY,
        kind            TEXT NOT NULL CHECK (kind IN ('apply', 'rollback')),
        request_id      TEXT NOT NULL,
        revision        INTEGER NOT NULL,
        target_label    TEXT NOT NULL,
        request         TEXT NOT NULL,
        plan            TEXT NOT NULL,
        plan_hash       TEXT NOT NULL,
        discovery       TEXT NOT NULL,
        requester_id    TEXT NOT NULL,
        requester_name  TEXT NOT NULL,
        requested_in    TEXT NOT NULL,
        status          TEXT NOT NULL,
        created_at      TEXT NOT NULL,
        updated_at      TEXT NOT NULL,
        expires_at      TEXT NOT NULL,
        reminded_at     TEXT,
        card            TEXT,
        job_id          TEXT UNIQUE,
        rollback_of     TEXT,
        card_shows      TEXT
      );
      CREATE INDEX plans_request ON plans(request_id);
      CREATE INDEX plans_status ON plans(status, updated_at);
      CREATE TABLE plan_votes (
        seq        INTEGER PRIMARY KEY,
        plan_id    TEXT NOT NULL REFERENCES plans(id),
        voter_id   TEXT NOT NULL,
        voter_name TEXT NOT NULL,
        plan_hash  TEXT NOT NULL,
        decision   TEXT NOT NULL CHECK (decision IN ('approve', 'reject')),
        reason     TEXT,
        at         TEXT NOT NULL,
        UNIQUE (plan_id, voter_id, plan_hash)
      );`,
  },
  {
    id: '0007-plan-follows',
    sql: `ALTER TABLE plans ADD COLUMN follows TEXT;`,
  },
];
