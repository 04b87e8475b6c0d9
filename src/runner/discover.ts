import type { DiscoveryScope } from '../contracts/discovery-scope';
import { normalizeObserved, ObservedState, type ClientPolicy, type DiscoveryFallback, type UserPolicy } from '../contracts/observed';
import type { OpName, OpParams, OpResult, WriteOpName } from '../contracts/ops';
import { CodedError } from '../shared/errors';
import type { ShellHost } from './shell-host';


// The catalog lets one user.externalAccessPolicy read take a whole request (MAX_USERS_PER_READ),
// but the PowerShell host reads user by user: batches of 500 keep each call well inside the op
// timeout and each answer line small.
const USERS_PER_CALL = 500;

/**
 * Runs the read ops through a shell host and assembles the observed state (src/contracts/observed.ts),
 * lists sorted. Any read op that fails makes discovery fail (CodedError 'shell_failed' naming
 * the op), with two exceptions that are answers, not failures: users the server does not know
 * land in `unknownUsers`, and a client policy identity that does not exist is left out of
 * `clientPolicies` (the planner sees it missing).
 *
 * The reads added later (capabilities, Edge topology, sites, policy holders) degrade instead: one
 * that fails leaves its key out and is recorded in `discoveryFallbacks`, and the planner names
 * what it could not check. `server.version` reports its own fallbacks (a version read from the
 * topology, verification levels resolved by an in-memory probe), which land there too.
 */
export async function discover(host: ShellHost, scope: DiscoveryScope): Promise<ObservedState> {
  const read = async <N extends OpName>(op: N, params: OpParams<N>): Promise<OpResult<N>> => {
    const outcome = await host.call(op, params);
    if (!outcome.ok) throw new CodedError('shell_failed', `discovering: ${op} failed: ${outcome.error.code}: ${outcome.error.message}`);
    return outcome.data;
  };

  const { fallbacks: versionFallbacks, ...serverVersion } = await read('server.version', {});
  const discoveryFallbacks: DiscoveryFallback[] = [...(versionFallbacks ?? [])];
  const optional = async <N extends 'capabilities.get' | 'topology.get' | 'site.list' | 'externalAccessPolicy.holders'>(op: N, cmdlet: string, what: string): Promise<OpResult<N> | undefined> => {
    const outcome = await host.call<N>(op, {} as OpParams<N>);
    if (outcome.ok) return outcome.data;
    discoveryFallbacks.push({ read: cmdlet, reason: `${outcome.error.code}: ${outcome.error.message}`, instead: `nothing: ${what} could not be checked` });
    return undefined;
  };
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

  const capabilities = await optional('capabilities.get', 'Get-Command (cmdlet parameters)', 'whether the server has every parameter a plan sends');
  const topology = await optional('topology.get', 'Get-CsService -EdgeServer', 'the Edge pools\' external FQDNs and federation setting');
  const sites = await optional('site.list', 'Get-CsSite', 'site names');
  const policyHolders = await optional('externalAccessPolicy.holders', 'Get-CsUser -Filter', 'who else holds a per-user policy');

  return normalizeObserved(ObservedState.parse({
    serverVersion, accessEdge, sipDomains, publicProviders, hostingProviders, externalAccessPolicies,
    userPolicies, unknownUsers, clientPolicies, capabilities, topology, sites, policyHolders,
    ...(discoveryFallbacks.length > 0 ? { discoveryFallbacks } : {}),
  }));
}

/**
 * The read ops that show what a write op changed: after a step, the runner re-reads only these
 * (a grant re-reads one user, not the whole user list) and patches them into the state it holds.
 */
export const READS_AFTER: Record<WriteOpName, readonly OpName[]> = {
  'accessEdge.set': ['accessEdge.get'],
  'externalAccessPolicy.new': ['externalAccessPolicy.list'],
  'externalAccessPolicy.set': ['externalAccessPolicy.list'],
  'externalAccessPolicy.remove': ['externalAccessPolicy.list'],
  'externalAccessPolicy.grant': ['user.externalAccessPolicy'],
  'publicProvider.new': ['publicProvider.list'],
  'publicProvider.set': ['publicProvider.list'],
  'publicProvider.remove': ['publicProvider.list'],
  'clientPolicy.set': ['clientPolicy.get'],
};

/**
 * `state` with the part a write op touches read again (READS_AFTER); everything else is kept as
 * it was. Fails like `discover` when a read op fails.
 */
export async function rereadAfter(host: ShellHost, op: WriteOpName, params: Record<string, unknown>, state: ObservedState): Promise<ObservedState> {
  const read = async <N extends OpName>(name: N, p: OpParams<N>): Promise<OpResult<N>> => {
    const outcome = await host.call(name, p);
    if (!outcome.ok) throw new CodedError('shell_failed', `re-reading after ${op}: ${name} failed: ${outcome.error.code}: ${outcome.error.message}`);
    return outcome.data;
  };
  const next: ObservedState = { ...state };
  for (const name of READS_AFTER[op]) {
    switch (name) {
      case 'accessEdge.get':
        next.accessEdge = await read('accessEdge.get', {});
        break;
      case 'externalAccessPolicy.list':
        next.externalAccessPolicies = await read('externalAccessPolicy.list', {});
        break;
      case 'publicProvider.list':
        next.publicProviders = await read('publicProvider.list', {});
        break;
      case 'user.externalAccessPolicy': {
        const user = String(params.user);
        const same = (u: string) => u.toLowerCase() === user.toLowerCase();
        const got = await read('user.externalAccessPolicy', { users: [user] });
        next.userPolicies = [...state.userPolicies.filter((u) => !same(u.user)), ...got.users];
        next.unknownUsers = [...(state.unknownUsers ?? []).filter((u) => !same(u)), ...got.notFound];
        break;
      }
      case 'clientPolicy.get': {
        const identity = String(params.identity);
        const same = (c: ClientPolicy) => c.identity.toLowerCase() === identity.toLowerCase();
        const outcome = await host.call('clientPolicy.get', { identity });
        if (!outcome.ok && outcome.error.code !== 'not_found') {
          throw new CodedError('shell_failed', `re-reading after ${op}: clientPolicy.get ${identity} failed: ${outcome.error.code}: ${outcome.error.message}`);
        }
        next.clientPolicies = [...state.clientPolicies.filter((c) => !same(c)), ...(outcome.ok ? [outcome.data] : [])];
        break;
      }
      default:
        throw new CodedError('internal', `re-reading after ${op}: no re-read for ${name}`);
    }
  }
  // Not parsed again as a whole: the shell host checked each answer against the catalog's result
  // schema, and the rest was parsed when first read. (With thousands of users, parsing the whole
  // state after every grant cost more than the grant's own round trip to the simulator.)
  return normalizeObserved(next);
}
