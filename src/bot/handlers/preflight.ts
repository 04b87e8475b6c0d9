/**
 * The preflight area: the review card's "Run preflight". The click is answered at once
 * with the same card and a notice; the checks run in the background (up to
 * PICBOT_PREFLIGHT_TIMEOUT_MS and a margin), their results are stored with the request and
 * audited, and the result card arrives as a new message.
 */
import { parseRequestRef } from '../../core/card-refs';
import { dayOf } from '../../core/request-record';
import type { Roles } from '../../core/roles';
import type { Clock } from '../../shared/clock';
import type { Logger } from '../../shared/logger';
import type { HandlerSet } from '../app-deps';
import type { AppConfig } from '../config';
import type { PreflightOptions } from '../preflight/run-preflight';
import type { ActionHandler } from '../turn';
import { VERBS } from '../verbs';
import { preflightCard } from '../views/preflight';
import { recordCard } from '../views/request';
import type { CardScheduler } from '../workflows/card-scheduler';
import type { DraftStore } from '../workflows/ports';
import type { PreflightWorkflow } from '../workflows/preflight';
import { readCardData } from './card-data';
import { callerOf } from './caller';
import { draftCard, type ReviewNextSteps } from './draft-card';
import { malformed, refused } from './outcomes';

/** What the preflight area's handlers work with. */
export interface PreflightAreaDeps {
  workflow: PreflightWorkflow;
  /** The draft behind the review card, to show it again with the notice. */
  drafts: Pick<DraftStore, 'get'>;
  cards: CardScheduler;
  roles: Roles;
  clock: Clock;
  logger: Logger;
  /** The review card's "Next steps" flags: the same function the intake area was given. */
  nextSteps: ReviewNextSteps;
}

export const RUNNING_NOTICE = 'Preflight is running: the results will appear in a new message in a few seconds.';

/** The preflight options of the server (the CLI builds its own): PICBOT_DNS_SERVERS, the timeout, and the private-address rule. */
export function serverPreflightOptions(config: Pick<AppConfig, 'mode' | 'dnsServers' | 'preflightTimeoutMs' | 'preflightAllowPrivate'>): PreflightOptions {
  return {
    dnsServers: config.dnsServers,
    timeoutMs: config.preflightTimeoutMs,
    // Inside the production server, whoever fills in an intake names the FQDN: no probing its own network.
    refusePrivateAddresses: config.mode === 'production' && !config.preflightAllowPrivate,
  };
}

/** The preflight area's handler: the review card's "Run preflight". */
export function createPreflightHandlers(deps: PreflightAreaDeps): HandlerSet {
  const { workflow, drafts, nextSteps } = deps;

  const run: ActionHandler = async (turn) => {
    const ref = readCardData(parseRequestRef, turn.data);
    if (!ref.ok) return malformed(ref.reason);
    const { requestId } = ref.value;
    const started = await workflow.start(callerOf(turn, deps.roles), requestId);
    if (!started.ok) return refused(started);
    const conversationId = turn.conversation.id;
    // A new message rather than an update of the clicked one: the adapter replaces the clicked
    // message with our answer below, and a fast run must not race that replacement.
    started.done
      .then((result) => deps.cards.send(conversationId, preflightCard(result, { heading: `${started.record.request.target.label} · ${requestId}` })))
      .then(
        () => deps.logger.info({ requestId }, 'preflight results posted'),
        (err: unknown) => deps.logger.error({ err, requestId }, 'preflight: storing, auditing or posting the results failed'),
      );
    const draft = await drafts.get(requestId);
    const card = draft
      ? await draftCard(draft, nextSteps, RUNNING_NOTICE)
      : recordCard({ record: started.record, today: dayOf(deps.clock.now()), notice: RUNNING_NOTICE });
    return { card };
  };

  return { actions: { [VERBS.preflightRun]: run } };
}
