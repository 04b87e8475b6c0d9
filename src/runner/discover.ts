import { normalizeObserved, ObservedState, type ClientPolicy, type UserPolicy } from '../contracts/observed';
import type { OpName, OpParams, OpResult } from '../contracts/ops';
import { CodedError } from '../shared/errors';
import type { ShellHost } from './shell-host';

/** What a discovery job asks about beyond the server-wide settings (the job envelope's `discovery`). */
export interface DiscoveryScope {
  users: string[];
  clientPolicyIdentities: string[];
}

// user.externalAccessPolicy takes at most 500 users per call (the catalog's limit).
const USERS_PER_CALL = 500;

/**
 * Runs the read ops through a shell host and assembles the observed state (runner issue §1),
 * lists sorted. Any read op that fails makes discovery fail (CodedError 'shell_failed' naming
 * the op), with two exceptions that are answers, not failures: users the server does not know
 * land in `unknownUsers`, and a client policy identity that does not exist is left out of
 * `clientPolicies` (the planner sees it missing).
 */
export async function discover(host: ShellHost, scope: DiscoveryScope): Promise<ObservedState> {
  const read = async <N extends OpName>(op: N, params: OpParams<N>): Promise<OpResult<N>> => {
    const outcome = await host.call(op, params);
    if (!outcome.ok) throw new CodedError('shell_failed', `discovering: ${op} failed: ${outcome.error.code}: ${outcome.error.message}`);
    return outcome.data;
  };

  const serverVersion = await read('server.version', {});
  const accessEdge = await read('accessEdge.get', {});
  const sipDomains = await read('sipDomain.list', {});
  const publicProviders = await read('publicProvider.list', {});
  const hostingProviders = await read('hostingProvider.list', {});
  const externalAccessPolicies = await read('externalAccessPolicy.list', {});

  const users = [...new Set(scope.users)];
  const userPolicies: UserPolicy[] = [];
  const unknownUsers: string[] = [];
  for (let i = 0; i < users.length; i += USERS_PER_CALL) {
    const batch = await read('user.externalAccessPolicy', { users: users.slice(i, i + USERS_PER_CALL) });
    userPolicies.push(...batch.users);
    unknownUsers.push(...batch.notFound);
  }

  const clientPolicies: ClientPolicy[] = [];
  for (const identity of new Set(scope.clientPolicyIdentities)) {
    const outcome = await host.call('clientPolicy.get', { identity });
    if (outcome.ok) clientPolicies.push(outcome.data);
    else if (outcome.error.code !== 'not_found') {
      throw new CodedError('shell_failed', `discovering: clientPolicy.get ${identity} failed: ${outcome.error.code}: ${outcome.error.message}`);
    }
  }

  return normalizeObserved(ObservedState.parse({
    serverVersion, accessEdge, sipDomains, publicProviders, hostingProviders, externalAccessPolicies,
    userPolicies, unknownUsers, clientPolicies,
  }));
}
