/** PlanStore and VoteStore: plans put up for approval and their votes. */
import { z } from 'zod';
import { PlanStep } from '../../contracts/runner-api';
import { Profile } from '../../contracts/profiles';
import type { Vote } from '../../core/approval-policy';
import { PlanKind, PlanStatus } from '../../core/plan-status';
import type { Plan } from '../../core/planner';
import { ProvisioningRequest } from '../../core/request';
import { asCodedError, CodedError } from '../../shared/errors';
import type { AuditEntry, PlanPatch, PlanRecord, PlanStore, VoteStore } from '../workflows/ports';
import type { AuditInTransaction } from './audit-log';
import type { Sql } from './sql';

const StoredPlan = z.object({
  profile: Profile,
  steps: z.array(PlanStep),
  alreadyConfigured: z.array(z.object({ id: z.string(), title: z.string(), reason: z.string() })),
  refusals: z.array(z.object({ code: z.string(), reason: z.string() })),
  // Plans stored before warnings existed load with none.
  warnings: z.array(z.string()).default([]),
  fingerprint: z.string(),
  planHash: z.string(),
});
const Discovery = z.object({ users: z.array(z.string()), clientPolicyIdentities: z.array(z.string()) });
const CardRef = z.object({ conversationId: z.string(), activityId: z.string() });

const Row = z.object({
  id: z.string(),
  kind: PlanKind,
  request_id: z.string(),
  revision: z.number().int(),
  target_label: z.string(),
  request: z.string(),
  plan: z.string(),
  plan_hash: z.string(),
  discovery: z.string(),
  requester_id: z.string(),
  requester_name: z.string(),
  requested_in: z.string(),
  status: PlanStatus,
  created_at: z.string(),
  updated_at: z.string(),
  expires_at: z.string(),
  reminded_at: z.string().nullable(),
  card: z.string().nullable(),
  job_id: z.string().nullable(),
  rollback_of: z.string().nullable(),
  card_shows: z.string().nullable(),
  follows: z.string().nullable(),
});

function parseJson<T>(schema: z.ZodType<T>, text: string, what: string): T {
  const parsed = schema.safeParse(JSON.parse(text));
  if (!parsed.success) throw new CodedError('store_failed', `reading ${what}: it no longer parses (${parsed.error.issues[0]?.path.join('.')}: ${parsed.error.issues[0]?.message})`);
  return parsed.data;
}

function toRecord(raw: unknown): PlanRecord {
  const parsed = Row.safeParse(raw);
  if (!parsed.success) throw new CodedError('store_failed', `reading a plan: the row does not have the expected shape (${parsed.error.issues[0]?.message})`);
  const row = parsed.data;
  const plan = parseJson(StoredPlan, row.plan, `plan ${row.id}`) as Plan;
  // The hash column is what indexes and audits see; the JSON must agree with it.
  if (plan.planHash !== row.plan_hash) throw new CodedError('store_failed', `reading plan ${row.id}: the stored plan does not match its hash column`);
  return {
    id: row.id,
    kind: row.kind,
    requestId: row.request_id,
    revision: row.revision,
    targetLabel: row.target_label,
    request: parseJson(ProvisioningRequest, row.request, `the request of plan ${row.id}`),
    plan,
    discovery: parseJson(Discovery, row.discovery, `the discovery scope of plan ${row.id}`),
    requesterId: row.requester_id,
    requesterName: row.requester_name,
    requestedIn: row.requested_in,
    status: row.status,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    expiresAt: row.expires_at,
    remindedAt: row.reminded_at,
    card: row.card === null ? null : parseJson(CardRef, row.card, `the card of plan ${row.id}`),
    jobId: row.job_id,
    rollbackOf: row.rollback_of,
    cardShows: row.card_shows,
    follows: row.follows,
  };
}

/** The columns of a record (JSON fields serialised). */
function columns(r: PlanRecord) {
  return {
    id: r.id,
    kind: r.kind,
    request_id: r.requestId,
    revision: r.revision,
    target_label: r.targetLabel,
    request: JSON.stringify(r.request),
    plan: JSON.stringify(r.plan),
    plan_hash: r.plan.planHash,
    discovery: JSON.stringify(r.discovery),
    requester_id: r.requesterId,
    requester_name: r.requesterName,
    requested_in: r.requestedIn,
    status: r.status,
    created_at: r.createdAt,
    updated_at: r.updatedAt,
    expires_at: r.expiresAt,
    reminded_at: r.remindedAt,
    card: r.card === null ? null : JSON.stringify(r.card),
    job_id: r.jobId,
    rollback_of: r.rollbackOf,
    card_shows: r.cardShows,
    follows: r.follows,
  };
}

const COLUMNS = [
  'id', 'kind', 'request_id', 'revision', 'target_label', 'request', 'plan', 'plan_hash', 'discovery', 'requester_id',
  'requester_name', 'requested_in', 'status', 'created_at', 'updated_at', 'expires_at', 'reminded_at', 'card', 'job_id',
  'rollback_of', 'card_shows', 'follows',
] as const satisfies readonly (keyof ReturnType<typeof columns>)[];

/** `audit` appends the audit rows of a plan move in the move's own transaction. */
export function createPlanStore(sql: Sql, now: () => string, audit: AuditInTransaction): PlanStore {
  const INSERT = `INSERT INTO plans (${COLUMNS.join(', ')}) VALUES (${COLUMNS.map(() => '?').join(', ')})`;
  const fixed: readonly string[] = ['id', 'kind', 'request_id', 'target_label', 'rollback_of', 'follows'];
  const updateCols = COLUMNS.filter((c) => !fixed.includes(c));
  const REPLACE = `UPDATE plans SET ${updateCols.map((c) => `${c} = ?`).join(', ')} WHERE id = ? AND status = ? AND revision = ?`;

  // Read, patch and write in one transaction: the WHERE makes it a compare-and-set even across
  // processes and instances (PostgreSQL re-checks it against a row another transaction just
  // changed, and the row lock the UPDATE takes is held to the end, audit rows included).
  const cas = (id: string, expect: { status: PlanStatus; revision: number }, patch: PlanPatch, entries: AuditEntry[]) => sql.transaction(async (tx): Promise<PlanRecord | null> => {
    const row = await tx.get('SELECT * FROM plans WHERE id = ?', [id]);
    if (row === undefined) return null;
    const current = toRecord(row);
    if (current.status !== expect.status || current.revision !== expect.revision) return null;
    const next: PlanRecord = { ...current, ...patch, updatedAt: now() };
    const cols = columns(next);
    const info = await tx.run(REPLACE, [...updateCols.map((c) => cols[c]), id, expect.status, expect.revision]);
    if (info.changes !== 1) return null;
    for (const entry of entries) await audit(tx, entry);
    return next;
  });

  return {
    async create(record) {
      try {
        const cols = columns(record);
        await sql.run(INSERT, COLUMNS.map((c) => cols[c]));
      } catch (err) {
        throw asCodedError(err, 'store_failed', `saving plan ${record.id}`);
      }
    },
    async get(id) {
      const row = await sql.get('SELECT * FROM plans WHERE id = ?', [id]);
      return row === undefined ? null : toRecord(row);
    },
    async byJob(jobId) {
      const row = await sql.get('SELECT * FROM plans WHERE job_id = ?', [jobId]);
      return row === undefined ? null : toRecord(row);
    },
    async cardOfJob(jobId) {
      const row = await sql.get<{ id: string; card: string | null }>('SELECT id, card FROM plans WHERE job_id = ?', [jobId]);
      if (row === undefined) return null;
      return { id: row.id, card: row.card === null ? null : parseJson(CardRef, row.card, `the card of plan ${row.id}`) };
    },
    async list(filter = {}) {
      const where: string[] = [];
      const args: (string | number)[] = [];
      if (filter.statuses && filter.statuses.length > 0) {
        where.push(`status IN (${filter.statuses.map(() => '?').join(', ')})`);
        args.push(...filter.statuses);
      }
      if (filter.requestId !== undefined) {
        where.push('request_id = ?');
        args.push(filter.requestId);
      }
      args.push(filter.limit ?? 50);
      const text = `SELECT * FROM plans ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY updated_at DESC, id LIMIT ?`;
      return (await sql.all(text, args)).map(toRecord);
    },
    async update(id, expect, patch, entries = []) {
      try {
        return await cas(id, expect, patch, entries);
      } catch (err) {
        throw asCodedError(err, 'store_failed', `updating plan ${id}`);
      }
    },
    async note(id, patch) {
      await sql.run('UPDATE plans SET card = COALESCE(?, card), card_shows = COALESCE(?, card_shows) WHERE id = ?', [patch.card ? JSON.stringify(patch.card) : null, patch.cardShows ?? null, id]);
    },
  };
}

const VoteRow = z.object({
  voter_id: z.string(),
  voter_name: z.string(),
  plan_hash: z.string(),
  decision: z.enum(['approve', 'reject']),
  reason: z.string().nullable(),
  at: z.string(),
});

export function createVoteStore(sql: Sql, audit: AuditInTransaction): VoteStore {
  // The unique key (plan, voter, hash) is what makes a raced double-click record one vote, on
  // one instance or two.
  const addTx = (planId: string, vote: Vote, entries: AuditEntry[]) => sql.transaction(async (tx): Promise<boolean> => {
    const inserted = await tx.run(`INSERT INTO plan_votes (plan_id, voter_id, voter_name, plan_hash, decision, reason, at)
      VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (plan_id, voter_id, plan_hash) DO NOTHING`, [planId, vote.voterId, vote.voterName, vote.planHash, vote.decision, vote.reason, vote.at]);
    if (inserted.changes !== 1) return false;
    for (const entry of entries) await audit(tx, entry);
    return true;
  });
  return {
    async add(planId, vote, entries = []) {
      try {
        return await addTx(planId, vote, entries);
      } catch (err) {
        throw asCodedError(err, 'store_failed', `saving a vote on plan ${planId}`);
      }
    },
    async list(planId) {
      return (await sql.all('SELECT voter_id, voter_name, plan_hash, decision, reason, at FROM plan_votes WHERE plan_id = ? ORDER BY seq', [planId])).map((raw): Vote => {
        const parsed = VoteRow.safeParse(raw);
        if (!parsed.success) throw new CodedError('store_failed', `reading the votes of plan ${planId}: a row does not have the expected shape`);
        const r = parsed.data;
        return { voterId: r.voter_id, voterName: r.voter_name, planHash: r.plan_hash, decision: r.decision, reason: r.reason, at: r.at };
      });
    },
  };
}
