/**
 * The RunnerRegistry port on the SQLite runner store, with the audit trail: enrollment tokens
 * made, runners enrolled and revoked. Tokens themselves never reach the audit log.
 */
import type { AuditLog, RunnerRegistry } from '../workflows/ports';
import { RunnerLabel } from '../../contracts/runner-api';
import { CodedError } from '../../shared/errors';
import type { EnrollOutcome, RunnerStore } from '../stores/runners';

export interface GatewayRegistry extends RunnerRegistry {
  /** The runner side of POST /enroll: spends the token, audits `runner.enrolled`. */
  enroll(input: { enrollmentToken: string; name: string; labels: string[] }): Promise<EnrollOutcome>;
  authenticate: RunnerStore['authenticate'];
}

export function createRunnerRegistry(deps: { store: RunnerStore; audit: AuditLog }): GatewayRegistry {
  const { store, audit } = deps;
  return {
    async createEnrollmentToken(input) {
      for (const label of input.labels) {
        const ok = RunnerLabel.safeParse(label);
        if (!ok.success) throw new CodedError('bad_request', `label "${label.slice(0, 64)}": ${ok.error.issues[0]?.message}`);
      }
      const made = await store.createEnrollmentToken(input);
      await audit.append({ action: 'runner.token.created', actor: input.createdBy, subjectId: null, detail: { labels: made.labels, expiresAt: made.expiresAt } });
      return made;
    },
    async enroll(input) {
      const outcome = await store.enroll(input);
      if (outcome.ok) {
        await audit.append({
          action: 'runner.enrolled',
          actor: outcome.runner.id,
          subjectId: outcome.runner.id,
          detail: { name: outcome.runner.name, labels: outcome.runner.labels },
        });
      }
      return outcome;
    },
    authenticate: (token) => store.authenticate(token),
    list: () => store.list(),
    get: (id) => store.get(id),
    async revoke(runnerId, by) {
      const r = await store.revoke(runnerId, by);
      if (!r) return { ok: false, code: 'not-found', reason: `there is no runner ${runnerId}` };
      if (r.already) return { ok: false, code: 'already-revoked', reason: `runner ${runnerId} was already revoked at ${r.runner.revokedAt}` };
      await audit.append({ action: 'runner.revoked', actor: by, subjectId: runnerId, detail: { name: r.runner.name, labels: r.runner.labels } });
      return { ok: true, runner: r.runner };
    },
    seen: (label) => store.seen(label),
  };
}
