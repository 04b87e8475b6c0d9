/**
 * What a discovery (and the apply job's re-read) must read for a request beyond the server-wide
 * settings: the job envelope's `discovery`. The bot computes it (src/core/discovery-scope.ts);
 * the runner reads exactly that slice (src/runner/discover.ts).
 */
export interface DiscoveryScope {
  /** Users whose external access policy the plan depends on (per-user scope only). */
  users: string[];
  /** Client policies the plan depends on (`Global` when the request sets DisablePICPromptDisplayName). */
  clientPolicyIdentities: string[];
}
