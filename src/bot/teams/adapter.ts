/**
 * The Teams edge: botbuilder's CloudAdapter, turned into (1) a messages endpoint that the HTTP
 * layer calls with a parsed activity and (2) the ChatNotifier the workflows use.
 * Authentication runs first and on its own, so any failure of it — missing, expired, wrongly
 * signed, wrong-audience token, unreachable key set — is a 401, and nothing after it is.
 */
import { randomBytes } from 'node:crypto';
import { ActivityEventNames, ActivityTypes, CloudAdapter, TurnContext, type Activity, type InvokeResponse } from 'botbuilder';
import { CodedError } from '../../shared/errors';
import { cleanForLog, type Logger } from '../../shared/logger';
import type { AppConfig } from '../config';
import type { Router } from '../routing/router';
import { isDatabaseUnreachable } from '../stores/sql';
import { refusalCard } from '../routing/fallback-cards';
import type { CardScheduler, TimerClock } from '../workflows/card-scheduler';
import type { ConversationRefStore, ConversationRoster, UserIdStore } from '../workflows/ports';
import { ExecuteValue, type InboundActivity } from './activity';
import { createBotAuthentication, type BotAuthentication, type CredentialsFactory } from './auth';
import { apologyCard, cardInvokeResponse, databaseAwayCard, errorInvokeResponse, replyActivity } from './cards';
import { channelStatus, createCardScheduler, systemTimerClock, type CardObserver, type SharedCardWindows } from './card-scheduler';
import { createChatNotifier } from './notifier';
import { createConversationRoster } from './roster';
import type { ActivityGate } from './activity-gate';
import { actorOf, tenantOf, toActionTurn, toAddedTurn, toMessageTurn } from './to-turn';

/** CloudAdapter with its protected processActivity reachable, taking a finished auth result. */
class PicbotAdapter extends CloudAdapter {
  run(auth: Awaited<ReturnType<BotAuthentication['authenticateRequest']>>, activity: Activity, logic: (context: TurnContext) => Promise<void>): Promise<InvokeResponse | undefined> {
    return this.processActivity(auth, activity, logic);
  }
}

export interface TeamsOptions {
  /** Outbound credentials (tests: one that needs no token service). Production still validates JWTs. */
  credentialsFactory?: CredentialsFactory;
  /** Timers of the card scheduler (tests move them by hand). */
  timers?: TimerClock;
  /** Teams' per-conversation limits as [window ms, most operations] (default TEAMS_CONVERSATION_LIMITS). */
  limits?: ReadonlyArray<readonly [number, number]>;
}

export interface TeamsDeps {
  config: AppConfig;
  logger: Logger;
  /** Channels and tenants served; a refused activity is answered 403 before any state is touched. */
  gate: ActivityGate;
  refs: ConversationRefStore;
  userIds: UserIdStore;
  /** Hears of card deliveries and of 429s, the scheduler's and the turns' own (metrics). */
  cardObserver?: CardObserver;
  /** Several instances on one database: the per-conversation windows they share. */
  sharedCardWindows?: SharedCardWindows;
}

/** What the HTTP layer gets back for one inbound activity. */
export interface EndpointAnswer {
  status: number;
  body?: unknown;
}

export type MessagesEndpoint = (activity: InboundActivity, authorization: string) => Promise<EndpointAnswer>;

export interface TeamsBridge {
  /** Every proactive card send and update, paced to Teams' per-conversation limits. */
  cards: CardScheduler;
  /** Reads a conversation's members (Entra object id → Teams user id) into the user id store. */
  roster: ConversationRoster;
  /** True when /api/messages needs a Bot Framework token (production). */
  requiresToken: boolean;
  /** The /api/messages logic, bound to a router (built after the notifier, which handlers need). */
  createEndpoint(router: Router): MessagesEndpoint;
}

const errorReference = () => `err_${randomBytes(5).toString('hex')}`;

/** Even the apology could not be sent: the Bot Connector (the activity's serviceUrl) is unreachable. */
class ConnectorUnreachable extends Error {
  constructor(readonly reference: string) {
    super(`the Bot Connector could not be reached (reference ${reference})`);
    this.name = 'ConnectorUnreachable';
  }
}

export function createTeamsBridge(deps: TeamsDeps, options: TeamsOptions = {}): TeamsBridge {
  const { config, logger, refs, userIds } = deps;
  const auth = createBotAuthentication(config, options.credentialsFactory);
  const adapter = new PicbotAdapter(auth);
  const log = logger.child({ component: 'teams' });
  const roster = createConversationRoster(adapter, refs, userIds, config.bot.appId, logger);
  const cards = createCardScheduler({
    notifier: createChatNotifier(adapter, refs, config.bot.appId),
    clock: options.timers ?? systemTimerClock,
    logger: logger.child({ component: 'card-scheduler' }),
    limits: options.limits,
    observer: deps.cardObserver,
    shared: deps.sharedCardWindows,
  });
  const noteThrottled = (err: unknown) => {
    if (channelStatus(err) === 429) deps.cardObserver?.throttled('reply');
  };

  // Last resort for errors outside our turn logic (middleware, a failing apology send). It must
  // not throw anything but ConnectorUnreachable: botbuilder would turn that into a bare 500.
  adapter.onTurnError = async (context, error) => {
    // The turn logic already tried to apologise through this connector and failed: don't retry.
    if (error instanceof ConnectorUnreachable) throw error;
    // A proactive send or update (the card scheduler's, notifier.ts): the scheduler retries a 429
    // or gives up and logs it. An apology here would go into the same throttled conversation and
    // hide the failure, so the card would count as sent and be lost.
    if (context.activity.type === ActivityTypes.Event && context.activity.name === ActivityEventNames.ContinueConversation) throw error;
    const reference = errorReference();
    log.error({ err: error, reference, activityType: context.activity.type, conversationId: context.activity.conversation?.id }, 'turn failed outside the handlers');
    await sendApology(context, reference, error);
  };

  /**
   * Sends the apology card (or, when the database could not be reached, the card saying so); when
   * even that fails the connector is unreachable (ConnectorUnreachable).
   */
  async function sendApology(context: TurnContext, reference: string, cause: unknown): Promise<void> {
    const card = isDatabaseUnreachable(cause) ? databaseAwayCard(reference) : apologyCard(reference);
    try {
      if (context.activity.type === 'invoke') await context.sendActivity(cardInvokeResponse(card));
      else await context.sendActivity(replyActivity({ card }));
    } catch (err) {
      log.error(
        { err, reference, activityType: context.activity.type, conversationId: context.activity.conversation?.id, serviceUrl: cleanForLog(context.activity.serviceUrl ?? '', 200) },
        'sending the apology failed: the Bot Connector cannot be reached, the reply is lost',
      );
      throw new ConnectorUnreachable(reference);
    }
  }

  async function learn(context: TurnContext): Promise<void> {
    const activity = context.activity;
    if (activity.conversation?.id) {
      const reference = JSON.parse(JSON.stringify(TurnContext.getConversationReference(activity))) as Record<string, unknown>;
      await refs.save(activity.conversation.id, reference);
    }
    const people = [activity.from, ...(activity.membersAdded ?? [])];
    for (const person of people) {
      if (person?.aadObjectId && person.id) await userIds.remember({ aadObjectId: person.aadObjectId, teamsUserId: person.id, name: person.name ?? '' });
    }
  }

  function createEndpoint(router: Router): MessagesEndpoint {
    async function onInvoke(context: TurnContext): Promise<void> {
      const activity = context.activity;
      if (activity.name !== 'adaptiveCard/action') {
        await context.sendActivity(errorInvokeResponse(501, 'not_implemented', `picbot does not handle ${cleanForLog(activity.name ?? 'this', 60)} invokes`));
        return;
      }
      const value = ExecuteValue.safeParse(activity.value);
      if (!value.success) {
        await context.sendActivity(cardInvokeResponse(refusalCard('Unreadable action', 'This button sent something picbot cannot read. Type "help" to start again.')));
        return;
      }
      const { verb, data } = value.data.action;
      const result = await router.handle(toActionTurn(context, verb, data ?? {}));
      if ((result.scope ?? 'everyone') === 'everyone' && activity.replyToId) {
        // One message updated in place: everyone sees the same card, not only the clicker.
        try {
          await context.updateActivity({ ...replyActivity({ card: result.card }), id: activity.replyToId });
        } catch (err) {
          log.warn({ err, verb, conversationId: activity.conversation?.id }, 'updating the card message failed; the clicker still gets the card');
        }
      }
      await context.sendActivity(cardInvokeResponse(result.card));
      // setImmediate: after this turn's promise chain has handed the invoke response to HTTP.
      if (result.after) setImmediate(result.after);
    }

    async function logic(context: TurnContext): Promise<void> {
      const activity = context.activity;
      // Remembers whether a send to the connector failed in this turn: then an apology through
      // the same connector would fail the same way (after botbuilder's retries), so skip it.
      let sendFailed = false;
      const conversationId = activity.conversation?.id;
      context.onSendActivities(async (_context, activities, next) => {
        // This turn's own answers go out at once; the scheduler counts them against the
        // conversation's limits as they start, so no proactive card slips in beside them (an
        // invoke response is the HTTP answer, not a message).
        const done = conversationId ? activities.filter((a) => a.type !== 'invokeResponse').map(() => cards.record(conversationId)) : [];
        try {
          return await next();
        } catch (err) {
          sendFailed = true;
          noteThrottled(err);
          throw err;
        } finally {
          for (const d of done) d();
        }
      });
      context.onUpdateActivity(async (_context, _activity, next) => {
        const done = conversationId ? cards.record(conversationId) : null;
        try {
          await next();
        } catch (err) {
          noteThrottled(err);
          throw err;
        } finally {
          done?.();
        }
      });
      try {
        await learn(context);
        switch (activity.type) {
          case 'message':
            await router.handle(toMessageTurn(context));
            return;
          case 'invoke':
            await onInvoke(context);
            return;
          case 'conversationUpdate': {
            const botId = activity.recipient?.id;
            if (botId && (activity.membersAdded ?? []).some((m) => m.id === botId)) {
              await router.handle(toAddedTurn(context));
              // Everyone already there, not only who added the bot (never fails the turn).
              await roster.fromTurn(context);
            }
            return;
          }
          default:
            return;
        }
      } catch (err) {
        const reference = errorReference();
        const actor = actorOf(activity);
        log.error(
          { err, reference, activityType: activity.type, name: activity.name, conversationId: activity.conversation?.id, teamsUserId: actor.teamsUserId },
          isDatabaseUnreachable(err) ? 'handling a turn failed: the database cannot be reached' : 'handling a turn failed',
        );
        if (sendFailed) {
          log.error({ reference, conversationId: activity.conversation?.id, serviceUrl: cleanForLog(activity.serviceUrl ?? '', 200) }, 'the Bot Connector cannot be reached: no apology is sent, the reply is lost');
          throw new ConnectorUnreachable(reference);
        }
        await sendApology(context, reference, err);
      }
    }

    return async (activity, authorization) => {
      let authResult: Awaited<ReturnType<BotAuthentication['authenticateRequest']>>;
      try {
        authResult = await auth.authenticateRequest(activity as unknown as Activity, authorization);
      } catch (err) {
        log.warn({ reason: (err as Error).message, channelId: activity.channelId }, 'rejected /api/messages: not authenticated');
        throw new CodedError('unauthorized', 'a valid Bot Framework token is required');
      }
      // After the token (so the counter counts only what the Bot Service vouched for), before
      // learn() stores a conversation reference or a user id: a refused activity changes nothing.
      const gate = deps.gate.check(activity.channelId, tenantOf(activity as unknown as Partial<Activity>));
      if (!gate.ok) {
        const message = gate.reason === 'channel' ? 'picbot does not serve this channel' : 'picbot does not serve this tenant';
        return { status: 403, body: { error: { code: 'forbidden', message } } };
      }
      let invoke: InvokeResponse | undefined;
      try {
        invoke = await adapter.run(authResult, activity as unknown as Activity, logic);
      } catch (err) {
        if (!(err instanceof ConnectorUnreachable)) throw err;
        // Not our fault and not the caller's: the channel's connector did not answer (502).
        throw new CodedError('upstream_unreachable', `the Bot Connector at this activity's serviceUrl could not be reached; the reply was not delivered (reference ${err.reference})`);
      }
      return invoke ? { status: invoke.status, body: invoke.body } : { status: 200 };
    };
  }

  return {
    cards,
    roster,
    requiresToken: config.mode === 'production',
    createEndpoint,
  };
}

