/**
 * The Teams edge: botbuilder's CloudAdapter, turned into (1) a messages endpoint that the HTTP
 * layer calls with a parsed activity and (2) the ChatNotifier the workflows use.
 * Authentication runs first and on its own, so any failure of it — missing, expired, wrongly
 * signed, wrong-audience token, unreachable key set — is a 401, and nothing after it is.
 */
import { randomBytes } from 'node:crypto';
import { CloudAdapter, TurnContext, type Activity, type InvokeResponse } from 'botbuilder';
import { CodedError } from '../../shared/errors';
import { cleanForLog, type Logger } from '../../shared/logger';
import type { AppConfig } from '../config';
import type { Router } from '../routing/router';
import { refusalCard } from '../routing/fallback-cards';
import type { ChatNotifier, ConversationRefStore, UserIdStore } from '../workflows/ports';
import { ExecuteValue, type InboundActivity } from './activity';
import { createBotAuthentication, type BotAuthentication, type CredentialsFactory } from './auth';
import { apologyCard, cardInvokeResponse, errorInvokeResponse, replyActivity } from './cards';
import { createChatNotifier } from './notifier';
import { actorOf, toActionTurn, toAddedTurn, toMessageTurn } from './to-turn';

/** CloudAdapter with its protected processActivity reachable, taking a finished auth result. */
class PicbotAdapter extends CloudAdapter {
  run(auth: Awaited<ReturnType<BotAuthentication['authenticateRequest']>>, activity: Activity, logic: (context: TurnContext) => Promise<void>): Promise<InvokeResponse | undefined> {
    return this.processActivity(auth, activity, logic);
  }
}

export interface TeamsOptions {
  /** Outbound credentials (tests: one that needs no token service). Production still validates JWTs. */
  credentialsFactory?: CredentialsFactory;
}

export interface TeamsDeps {
  config: AppConfig;
  logger: Logger;
  refs: ConversationRefStore;
  userIds: UserIdStore;
}

/** What the HTTP layer gets back for one inbound activity. */
export interface EndpointAnswer {
  status: number;
  body?: unknown;
}

export type MessagesEndpoint = (activity: InboundActivity, authorization: string) => Promise<EndpointAnswer>;

export interface TeamsBridge {
  notifier: ChatNotifier;
  /** True when /api/messages needs a Bot Framework token (production). */
  requiresToken: boolean;
  /** The /api/messages logic, bound to a router (built after the notifier, which handlers need). */
  createEndpoint(router: Router): MessagesEndpoint;
}

const errorReference = () => `err_${randomBytes(5).toString('hex')}`;

export function createTeamsBridge(deps: TeamsDeps, options: TeamsOptions = {}): TeamsBridge {
  const { config, logger, refs, userIds } = deps;
  const auth = createBotAuthentication(config, options.credentialsFactory);
  const adapter = new PicbotAdapter(auth);
  const log = logger.child({ component: 'teams' });

  // Last resort for errors outside our turn logic (middleware, a failing apology send).
  adapter.onTurnError = async (context, error) => {
    const reference = errorReference();
    log.error({ err: error, reference, activityType: context.activity.type, conversationId: context.activity.conversation?.id }, 'turn failed outside the handlers');
    if (context.activity.type === 'invoke') await context.sendActivity(cardInvokeResponse(apologyCard(reference)));
    else await context.sendActivity(replyActivity({ card: apologyCard(reference) }));
  };

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
    }

    async function logic(context: TurnContext): Promise<void> {
      const activity = context.activity;
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
            if (botId && (activity.membersAdded ?? []).some((m) => m.id === botId)) await router.handle(toAddedTurn(context));
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
          'handling a turn failed',
        );
        if (activity.type === 'invoke') await context.sendActivity(cardInvokeResponse(apologyCard(reference)));
        else await context.sendActivity(replyActivity({ card: apologyCard(reference) }));
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
      const invoke = await adapter.run(authResult, activity as unknown as Activity, logic);
      return invoke ? { status: invoke.status, body: invoke.body } : { status: 200 };
    };
  }

  return {
    notifier: createChatNotifier(adapter, refs, config.bot.appId),
    requiresToken: config.mode === 'production',
    createEndpoint,
  };
}

