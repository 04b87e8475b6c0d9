/**
 * A hand-written area for platform tests (the router's HandlerSet port): every verb in VERBS
 * answers a card echoing what it received, and a few commands exercise the turn capabilities.
 * Lets the HTTP/Teams/routing tests run without the intake area.
 */
import type { CreateHandlers } from '../../src/bot/app-deps';
import type { ActionHandler, Card } from '../../src/bot/turn';
import { ALL_VERBS } from '../../src/bot/verbs';

export function textCard(...lines: string[]): Card {
  return { type: 'AdaptiveCard', version: '1.5', body: lines.map((text) => ({ type: 'TextBlock', text, wrap: true })) };
}

/** Verbs whose echo answers only the clicker (scope 'clicker'). */
export const CLICKER_VERB = ALL_VERBS[1]!;
/** A verb whose handler throws, to see the apology path. */
export const FAILING_VERB = ALL_VERBS[2]!;

export const echoArea: CreateHandlers = (deps) => {
  const actions: Record<string, ActionHandler> = {};
  for (const verb of ALL_VERBS) {
    actions[verb] = async (turn) => {
      if (verb === FAILING_VERB) throw new Error('database is locked (secret detail)');
      return {
        card: textCard(`echo ${turn.verb}`, JSON.stringify(turn.data), `from ${turn.actor.name} (${turn.actor.aadObjectId})`, `message ${turn.messageId}`),
        scope: verb === CLICKER_VERB ? 'clicker' : 'everyone',
      };
    };
  }
  return {
    commands: {
      echo: async (turn, args) => {
        await turn.say({ text: `echo [${args.join('|')}] in ${turn.conversation.type}` });
      },
      card: async (turn) => {
        const id = await turn.say({ card: textCard('first') });
        await turn.update(id, { card: textCard('second') });
      },
      whoami: async (turn) => {
        await turn.say({ text: `${turn.actor.aadObjectId} ${turn.actor.teamsUserId} admin=${deps.roles.isAdmin(turn.actor)}` });
      },
      boom: async () => {
        throw new Error('disk full at /var/secret (secret detail)');
      },
    },
    actions,
    help: async (turn, args) => {
      await turn.say({ text: `help: ${turn.text} ${args.join(' ')}`.trim() });
    },
    added: async (turn) => {
      await turn.say({ card: textCard(`welcome to ${turn.conversation.type}`) });
    },
  };
};
