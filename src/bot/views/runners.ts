/** The runner cards: a fresh enrollment token (personal chat only) and the list of runners. */
import type { Card } from '../turn';
import type { RunnerInfo } from '../workflows/ports';
import type { CommandHelp } from './common';
import { when } from './request';
import { renderCard } from './render';

/** The help card's lines for the runner commands. */
export const RUNNER_COMMANDS: readonly CommandHelp[] = [
  { name: 'runner token LABEL[,LABEL]', text: 'a one-time enrollment token for a runner (admins, personal chat only)' },
  { name: 'runners', text: 'the enrolled runners with their labels and when each was last seen' },
  { name: 'runners revoke ID', text: 'revoke a runner: its token is refused from now on (admins)' },
];

/** The enrollment token card, with the command that uses it. */
export function runnerTokenCard(input: { token: string; labels: string[]; expiresAt: string; serverUrl: string }): Card {
  return renderCard('runner-token', {
    token: input.token,
    labels: input.labels.join(', '),
    expiresAt: when(input.expiresAt),
    // The token goes in on stdin (--enroll -): on the command line, every user of the host would see it in the process list.
    command: `'${input.token}' | npx picbot-runner --server ${input.serverUrl} --enroll - --labels ${input.labels.join(',')} --shell powershell --fe FE-FQDN`,
  });
}

/** The `runners` list. */
export function runnerListCard(runners: RunnerInfo[], notice = ''): Card {
  return renderCard('runner-list', {
    notice,
    runners: runners.map((r) => ({
      runnerId: r.id,
      name: r.name,
      labels: r.labels.join(', '),
      state: r.revokedAt ? `revoked on ${when(r.revokedAt)}` : 'active',
      stateColor: r.revokedAt ? 'attention' : 'good',
      lastSeen: when(r.lastSeenAt),
      enrolled: when(r.enrolledAt),
    })),
  });
}
