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
    id: '0005-runners-jobs',
    sql: `
      CREATE TABLE runner_enrollment_tokens (
        token_hash  TEXT PRIMARY KEY,
        labels      TEXT NOT NULL,
        created_by  TEXT NOT NULL,
        created_at  TEXT NOT NULL,
        expires_at  TEXT NOT NULL,
        used_at     TEXT,
        used_by     TEXT
      );
      CREATE TABLE runners (
        id            TEXT PRIMARY KEY,
        name          TEXT NOT NULL,
        labels        TEXT NOT NULL,
        token_hash    TEXT NOT NULL UNIQUE,
        enrolled_at   TEXT NOT NULL,
        enrolled_by   TEXT NOT NULL,
        last_seen_at  TEXT NOT NULL,
        revoked_at    TEXT,
        revoked_by    TEXT
      );
      CREATE TABLE jobs (
        id                TEXT PRIMARY KEY,
        kind              TEXT NOT NULL CHECK (kind IN ('discover', 'apply', 'rollback')),
        target            TEXT NOT NULL,
        status            TEXT NOT NULL CHECK (status IN ('queued', 'leased', 'succeeded', 'failed', 'aborted-drift', 'cancelled', 'interrupted', 'expired')),
        envelope          TEXT NOT NULL,
        signature         TEXT NOT NULL,
        purpose           TEXT NOT NULL,
        request_id        TEXT,
        plan_id           TEXT,
        card              TEXT,
        created_by        TEXT NOT NULL,
        created_at        TEXT NOT NULL,
        pickup_deadline   TEXT,
        runner_id         TEXT REFERENCES runners(id),
        lease_id          TEXT,
        leased_at         TEXT,
        lease_expires_at  TEXT,
        cancel_requested  INTEGER NOT NULL DEFAULT 0,
        finished_at       TEXT,
        next_seq          INTEGER NOT NULL DEFAULT 0,
        event_count       INTEGER NOT NULL DEFAULT 0,
        result            TEXT
      );
      CREATE INDEX jobs_queue ON jobs(status, target, created_at);
      CREATE INDEX jobs_request ON jobs(request_id, created_at);
      CREATE INDEX jobs_plan ON jobs(plan_id);
      CREATE TABLE job_events (
        job_id       TEXT NOT NULL REFERENCES jobs(id),
        seq          INTEGER NOT NULL,
        idx          INTEGER NOT NULL,
        event        TEXT NOT NULL,
        received_at  TEXT NOT NULL,
        PRIMARY KEY (job_id, seq, idx)
      );`,
  },
  {
    id: '0006-preflight-runs',
    sql: `
      CREATE TABLE preflight_runs (
        request_id  TEXT PRIMARY KEY REFERENCES requests(id),
        ran_at      TEXT NOT NULL,
        results     TEXT NOT NULL
      );`,
  },
  {
    id: '0007-plan-follows',
    sql: `ALTER TABLE plans ADD COLUMN follows TEXT;`,
  },
  {
    // The audit chain's tip (seq and hash of the last row), written in the append's transaction:
    // the hash chain finds an edited or removed middle row, the tip finds removed last rows.
    id: '0008-audit-tip',
    sql: `
      CREATE TABLE audit_tip (
        id   INTEGER PRIMARY KEY CHECK (id = 1),
        seq  INTEGER NOT NULL,
        hash TEXT NOT NULL
      );
      INSERT INTO audit_tip (id, seq, hash) SELECT 1, seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1;
      CREATE TRIGGER audit_tip_forward_only BEFORE UPDATE ON audit_tip WHEN NEW.seq <= OLD.seq
        BEGIN SELECT RAISE(ABORT, 'audit_tip only moves forward'); END;
      CREATE TRIGGER audit_tip_no_delete BEFORE DELETE ON audit_tip
        BEGIN SELECT RAISE(ABORT, 'audit_tip is kept with the audit log'); END;`,
  },
  {
    // Which hash the audit chain uses: a chain written before the keyed HMAC is re-keyed once at
    // the server's start (and the re-keying is itself an audit record); a new chain starts keyed.
    id: '0009-audit-keyed',
    sql: `
      CREATE TABLE audit_meta (
        id        INTEGER PRIMARY KEY CHECK (id = 1),
        scheme    TEXT NOT NULL
      );
      INSERT INTO audit_meta (id, scheme) SELECT 1, CASE WHEN EXISTS (SELECT 1 FROM audit_log) THEN 'sha256' ELSE 'hmac-sha256' END;`,
  },
  {
    // Job-signing key rotations (picbot keys rotate): each new public key signed with the one before,
    // which runners fetch to move their pinned key along the chain.
    id: '0010-signing-key-rotations',
    sql: `
      CREATE TABLE signing_key_rotations (
        seq          INTEGER PRIMARY KEY,
        previous_key TEXT NOT NULL,
        next_key     TEXT NOT NULL,
        at           TEXT NOT NULL,
        signature    TEXT NOT NULL
      );`,
  },
  {
    // Drift watch (docs/drift.md): one row per target, holding its baseline, its last check and
    // the open drift card. Self-contained: no other table refers to it.
    id: '0011-drift-watch',
    sql: `
      CREATE TABLE drift_watch (
        target      TEXT PRIMARY KEY,
        baseline    TEXT NOT NULL,
        last_check  TEXT,
        alert       TEXT,
        updated_at  TEXT NOT NULL
      );`,
  },
  {
    // Fenced, journaled apply: a job's own time limit (summed per op from its plan); when the
    // late record of an interrupted job's last lease holder arrived; which events came late.
    id: '0012-job-fencing',
    sql: `
      ALTER TABLE jobs ADD COLUMN time_limit_at TEXT;
      ALTER TABLE jobs ADD COLUMN late_at TEXT;
      ALTER TABLE job_events ADD COLUMN late INTEGER NOT NULL DEFAULT 0;`,
  },
  {
    // The message that holds each intake's live card, so that resuming it in a newer message
    // retires the older copy (only one intake card with live buttons stays in the chat).
    id: '0013-intake-cards',
    sql: `
      CREATE TABLE intake_cards (
        draft_id        TEXT PRIMARY KEY,
        conversation_id TEXT NOT NULL,
        activity_id     TEXT NOT NULL,
        updated_at      TEXT NOT NULL
      );`,
  },
  {
    // Teams' per-conversation rate windows shared by the instances on one database
    // (card-windows.ts; used on PostgreSQL, created on both so the schemas stay alike).
    id: '0014-card-windows',
    sql: `
      CREATE TABLE card_ops (
        conversation_id TEXT NOT NULL,
        at_ms           INTEGER NOT NULL
      );
      CREATE INDEX card_ops_by_conversation ON card_ops (conversation_id, at_ms);`,
  },
];
