/**
 * PostgreSQL schema migrations, applied in order at start under an advisory lock (pg-connect.ts)
 * and recorded by id in `schema_migrations`, as the SQLite ones are (migrations.ts). The first
 * entry is the SQLite schema as of `0013-intake-cards`, written once in PostgreSQL's types; from
 * then on every schema change is appended to both lists, with the same id.
 *
 * Columns keep SQLite's types where the stores' SQL relies on them: times are ISO-8601 TEXT (they
 * sort and compare as text on both engines), flags are INTEGER 0/1, JSON is TEXT (stored exactly
 * as written, which the audit hash and the signed envelopes need). `rowid` is a BIGSERIAL where a
 * store orders by insertion, as SQLite's implicit rowid does.
 */
import type { Migration } from './migrations';

export const PG_MIGRATIONS: Migration[] = [
  {
    id: '0013-intake-cards',
    sql: `
      CREATE TABLE audit_log (
        seq        BIGINT PRIMARY KEY,
        at         TEXT NOT NULL,
        action     TEXT NOT NULL,
        actor      TEXT NOT NULL,
        subject_id TEXT,
        detail     TEXT NOT NULL,
        prev_hash  TEXT NOT NULL,
        hash       TEXT NOT NULL
      );
      CREATE INDEX audit_log_subject ON audit_log(subject_id);
      CREATE FUNCTION picbot_audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN RAISE EXCEPTION 'audit_log is append-only'; END $$;
      CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
        FOR EACH ROW EXECUTE FUNCTION picbot_audit_append_only();
      CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
        FOR EACH STATEMENT EXECUTE FUNCTION picbot_audit_append_only();
      CREATE TABLE audit_tip (
        id   INTEGER PRIMARY KEY CHECK (id = 1),
        seq  BIGINT NOT NULL,
        hash TEXT NOT NULL
      );
      CREATE FUNCTION picbot_audit_tip_forward_only() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
          IF TG_OP IN ('DELETE', 'TRUNCATE') THEN RAISE EXCEPTION 'audit_tip is kept with the audit log'; END IF;
          IF NEW.seq <= OLD.seq THEN RAISE EXCEPTION 'audit_tip only moves forward'; END IF;
          RETURN NEW;
        END $$;
      CREATE TRIGGER audit_tip_forward_only BEFORE UPDATE OR DELETE ON audit_tip
        FOR EACH ROW EXECUTE FUNCTION picbot_audit_tip_forward_only();
      CREATE TRIGGER audit_tip_no_truncate BEFORE TRUNCATE ON audit_tip
        FOR EACH STATEMENT EXECUTE FUNCTION picbot_audit_tip_forward_only();
      CREATE TABLE audit_meta (
        id     INTEGER PRIMARY KEY CHECK (id = 1),
        scheme TEXT NOT NULL
      );
      INSERT INTO audit_meta (id, scheme) VALUES (1, 'hmac-sha256');

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
      );

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
      CREATE UNIQUE INDEX intake_drafts_one_open ON intake_drafts(owner_id, lower(target_label)) WHERE state = 'open';
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
      CREATE INDEX requests_updated ON requests(updated_at);

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
        card_shows      TEXT,
        follows         TEXT
      );
      CREATE INDEX plans_request ON plans(request_id);
      CREATE INDEX plans_status ON plans(status, updated_at);
      CREATE TABLE plan_votes (
        seq        BIGSERIAL PRIMARY KEY,
        plan_id    TEXT NOT NULL REFERENCES plans(id),
        voter_id   TEXT NOT NULL,
        voter_name TEXT NOT NULL,
        plan_hash  TEXT NOT NULL,
        decision   TEXT NOT NULL CHECK (decision IN ('approve', 'reject')),
        reason     TEXT,
        at         TEXT NOT NULL,
        UNIQUE (plan_id, voter_id, plan_hash)
      );

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
        rowid             BIGSERIAL UNIQUE,
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
        result            TEXT,
        time_limit_at     TEXT,
        late_at           TEXT
      );
      CREATE INDEX jobs_queue ON jobs(status, target, created_at);
      CREATE INDEX jobs_request ON jobs(request_id, created_at);
      CREATE INDEX jobs_plan ON jobs(plan_id);
      CREATE TABLE job_events (
        rowid        BIGSERIAL UNIQUE,
        job_id       TEXT NOT NULL REFERENCES jobs(id),
        seq          INTEGER NOT NULL,
        idx          INTEGER NOT NULL,
        event        TEXT NOT NULL,
        received_at  TEXT NOT NULL,
        late         INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (job_id, seq, idx)
      );

      CREATE TABLE preflight_runs (
        request_id  TEXT PRIMARY KEY REFERENCES requests(id),
        ran_at      TEXT NOT NULL,
        results     TEXT NOT NULL
      );
      CREATE TABLE signing_key_rotations (
        seq          BIGSERIAL PRIMARY KEY,
        previous_key TEXT NOT NULL,
        next_key     TEXT NOT NULL,
        at           TEXT NOT NULL,
        signature    TEXT NOT NULL
      );
      CREATE TABLE drift_watch (
        target      TEXT PRIMARY KEY,
        baseline    TEXT NOT NULL,
        last_check  TEXT,
        alert       TEXT,
        updated_at  TEXT NOT NULL
      );
      CREATE TABLE intake_cards (
        draft_id        TEXT PRIMARY KEY,
        conversation_id TEXT NOT NULL,
        activity_id     TEXT NOT NULL,
        updated_at      TEXT NOT NULL
      );`,
  },
  {
    id: '0014-card-windows',
    sql: `
      CREATE TABLE card_ops (
        conversation_id TEXT NOT NULL,
        at_ms           BIGINT NOT NULL
      );
      CREATE INDEX card_ops_by_conversation ON card_ops (conversation_id, at_ms);`,
  },
];
