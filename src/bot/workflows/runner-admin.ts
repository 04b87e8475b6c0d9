/**
 * Runner administration from chat: enrollment tokens, the runner list, revoking a runner. Who may
 * is decided here (admins make tokens and revoke; admins and approvers read the list).
 */
import { RunnerLabel } from '../../contracts/runner-api';
import { isIdOf } from '../../shared/ids';
import type { Caller, Refusal } from './caller';
import type { RunnerInfo, RunnerRegistry } from './ports';

export type RunnerAdminRefusalCode = 'not-admin' | 'not-reader' | 'no-labels' | 'bad-label' | 'no-runner-id' | 'not-found' | 'already-revoked';
export type RunnerAdminRefusal = Refusal<RunnerAdminRefusalCode>;
type Outcome<T> = ({ ok: true } & T) | RunnerAdminRefusal;

export interface RunnerAdmin {
  /** A one-time enrollment token for the labels named in `words` (comma or space separated). */
  enrollmentToken(caller: Caller, words: string[]): Promise<Outcome<{ token: string; labels: string[]; expiresAt: string }>>;
  /** Revokes a runner: its token is refused from now on. */
  revoke(caller: Caller, runnerId: string | undefined): Promise<Outcome<{ runner: RunnerInfo; runners: RunnerInfo[] }>>;
  list(caller: Caller): Promise<Outcome<{ runners: RunnerInfo[] }>>;
}

const refuse = (code: RunnerAdminRefusalCode, reason: string): RunnerAdminRefusal => ({ ok: false, code, reason });

export function createRunnerAdmin(deps: { runners: RunnerRegistry }): RunnerAdmin {
  const { runners } = deps;
  return {
    async enrollmentToken(caller, words) {
      if (!caller.admin) return refuse('not-admin', 'Only picbot admins may create runner enrollment tokens.');
      const labels = words.join(',').split(',').map((l) => l.trim().toLowerCase()).filter((l) => l.length > 0);
      if (labels.length === 0) return refuse('no-labels', 'Name the deployment label(s) the runner will serve, for example: runner token pool-eu');
      const bad = labels.find((l) => !RunnerLabel.safeParse(l).success);
      if (bad !== undefined) return refuse('bad-label', `"${bad.slice(0, 64)}" is not a runner label: use letters, digits, dot, underscore or hyphen (at most 63).`);
      return { ok: true, ...(await runners.createEnrollmentToken({ labels, createdBy: caller.id })) };
    },
    async revoke(caller, runnerId) {
      if (!caller.admin) return refuse('not-admin', 'Only picbot admins may revoke runners.');
      if (runnerId === undefined || !isIdOf('runner', runnerId)) return refuse('no-runner-id', 'Give the runner id, for example: runners revoke run_0123456789abcdef');
      const r = await runners.revoke(runnerId, caller.id);
      if (!r.ok) return refuse(r.code, `${r.reason}.`);
      return { ok: true, runner: r.runner, runners: await runners.list() };
    },
    async list(caller) {
      if (!caller.reader) return refuse('not-reader', 'Only picbot admins and approvers may see the runners.');
      return { ok: true, runners: await runners.list() };
    },
  };
}
