/**
 * Error codes a shell host (lync-ops.ps1 or the simulator) puts in `error.code` of an ok:false
 * answer. The simulator uses all of them; lync-ops.ps1 can tell fewer apart (it maps PowerShell
 * error categories), so a consumer should key off `not_found`, `bad_params` and `unknown_op` and
 * treat anything else as "the cmdlet failed, show the message".
 */
export const SHELL_ERROR_CODES = [
  'bad_request', // the request line is not JSON or not {id, op, params}
  'unknown_op', // op is not in the catalog
  'bad_params', // params fail the catalog schema, or a parameter the cmdlet does not take / cannot bind
  'not_found', // Set-/Remove-/Grant-/Get- on an identity or user that does not exist
  'already_exists', // New- on an identity that exists (among public AND hosting providers for providers)
  'proxy_fqdn_in_use', // New-CsPublicProvider with a ProxyFqdn another public or hosting provider uses
  'default_routing', // public providers or partner discovery while the Edge uses default routing
  'invalid_identity', // e.g. New-CsExternalAccessPolicy -Identity Global, or an unknown scope prefix
  'policy_in_use', // Remove- of a per-user policy still granted to users
  'cmdlet_failed', // anything else the cmdlet threw (and injected simulator faults)
] as const;
export type ShellErrorCode = (typeof SHELL_ERROR_CODES)[number];
