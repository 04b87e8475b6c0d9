import type { DiscoveryScope } from '../contracts/discovery-scope';
import type { ProvisioningRequest } from './request';

export type { DiscoveryScope };

/**
 * The discovery scope of a request. The job envelope carries it, so discovery and the apply job's
 * re-read see exactly the same slice of the server and their fingerprints are comparable.
 */
export function discoveryScope(request: ProvisioningRequest): DiscoveryScope {
  const scope = request.options.policyScope;
  const seen = new Set<string>();
  const users = scope.kind === 'user'
    ? scope.users.filter((u) => !seen.has(u.toLowerCase()) && seen.add(u.toLowerCase()))
    : [];
  return { users, clientPolicyIdentities: request.options.disablePICPromptDisplayName === null ? [] : ['Global'] };
}
