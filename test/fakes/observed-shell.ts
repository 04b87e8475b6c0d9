/**
 * A hand-written fake of the ShellHost port for runner unit tests: answers the catalog's read ops
 * from an observed-state document and applies write ops to it with `applyOp`, recording every
 * call. `after` lets a test make a write op do more than its documented effect (a server where one
 * change quietly undoes another). The real protocol and child process are tested with the simulator.
 */
import type { ObservedState } from '../../src/contracts/observed';
import type { OpName } from '../../src/contracts/ops';
import type { ShellHost, ShellOutcome } from '../../src/runner/shell-host';
import { applyOp } from './lync-state';

export interface ObservedShell extends ShellHost {
  calls: { op: string; params: Record<string, unknown> }[];
  state(): ObservedState;
}

export interface ObservedShellOptions {
  /** What a write op answers (default: `{identity}`); a test can make it long. */
  answer?: (op: string, params: Record<string, unknown>) => unknown;
  /** Every call waits this long first (a slow server, so a step spans heartbeats). */
  delayMs?: number;
  /** Awaited before every call: a test holds the shell here (a cmdlet that takes as long as the test needs). */
  gate?: (op: string) => Promise<void>;
  /** What the in-memory provider probe fails with (default: it binds). */
  probeError?: { code: string; message: string };
}

export function observedShell(initial: ObservedState, after?: (op: string, state: ObservedState) => ObservedState, options: ObservedShellOptions = {}): ObservedShell {
  let s = structuredClone(initial);
  const calls: ObservedShell['calls'] = [];
  const ok = (data: unknown): ShellOutcome<unknown> => ({ ok: true, data: structuredClone(data), warnings: [] });
  const missing = (op: string): ShellOutcome<unknown> => ({ ok: false, error: { code: 'cmdlet_failed', message: `${op}: not available on this server` } });
  async function call(op: OpName | string, params: Record<string, unknown>): Promise<ShellOutcome<unknown>> {
    calls.push({ op, params });
    if (options.delayMs) await new Promise((r) => setTimeout(r, options.delayMs));
    if (options.gate) await options.gate(op);
    switch (op) {
      case 'server.version': return ok(s.serverVersion);
      case 'accessEdge.get': return ok(s.accessEdge);
      case 'sipDomain.list': return ok(s.sipDomains);
      case 'publicProvider.list': return ok(s.publicProviders);
      case 'hostingProvider.list': return ok(s.hostingProviders);
      case 'externalAccessPolicy.list': return ok(s.externalAccessPolicies);
      case 'user.externalAccessPolicy': {
        const users = params.users as string[];
        const found = s.userPolicies.filter((u) => users.some((x) => x.toLowerCase() === u.user.toLowerCase()));
        return ok({ users: found, notFound: users.filter((x) => !found.some((u) => u.user.toLowerCase() === x.toLowerCase())) });
      }
      case 'clientPolicy.get': {
        const c = s.clientPolicies.find((x) => x.identity.toLowerCase() === String(params.identity).toLowerCase());
        return c ? ok(c) : { ok: false, error: { code: 'not_found', message: `no client policy ${String(params.identity)}` } };
      }
      case 'replication.status': return ok([]);
      // The reads added later answer from the document's optional keys, and fail like an old server without them.
      case 'capabilities.get': return s.capabilities ? ok(s.capabilities) : missing(op);
      case 'topology.get': return s.topology ? ok(s.topology) : missing(op);
      case 'site.list': return s.sites ? ok(s.sites) : missing(op);
      case 'externalAccessPolicy.holders': return s.policyHolders ? ok(s.policyHolders) : missing(op);
      case 'publicProvider.probe':
        return options.probeError ? { ok: false, error: options.probeError } : ok({ verificationLevel: 'AlwaysVerifiable' });
      default:
        s = applyOp(s, op, params);
        if (after) s = after(op, s);
        return ok(options.answer ? options.answer(op, params) : { identity: String(params.identity ?? params.user ?? 'global') });
    }
  }
  return {
    calls,
    state: () => s,
    call: call as ShellHost['call'],
    close: async () => ({ code: 0, signal: null, killed: false }),
    pid: undefined,
  };
}
