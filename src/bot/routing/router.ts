/**
 * The command table (first word of a message → CommandHandler) and the verb table
 * (Action.Execute verb → ActionHandler), merged from every area's HandlerSet.
 * Wiring mistakes stop the start: a verb in VERBS without a handler, a handler
 * for a verb VERBS does not list, a command or verb claimed twice, no help or welcome handler.
 */
import { CodedError } from '../../shared/errors';
import type { HandlerSet } from '../app-deps';
import type { ActionHandler, ActionResult, ActionTurn, AddedTurn, CommandHandler, MessageTurn, Turn } from '../turn';
import { ALL_VERBS, type Verb } from '../verbs';
import { refusalCard } from './fallback-cards';

export interface Router {
  /** Handles a turn; an action turn gets its invoke response back. */
  handle(turn: MessageTurn | AddedTurn): Promise<void>;
  handle(turn: ActionTurn): Promise<ActionResult>;
  handle(turn: Turn): Promise<ActionResult | void>;
  /** The registered command names, for the help card. */
  commands(): string[];
}

const COMMAND_NAME = /^[a-z][a-z0-9-]*$/;

/** Splits a message into the command (first word, lower-cased) and its arguments. */
export function parseCommand(text: string): { command: string; args: string[] } {
  const words = text.trim().split(/\s+/).filter((w) => w.length > 0);
  return { command: (words[0] ?? '').toLowerCase(), args: words.slice(1) };
}

const wiring = (message: string) => new CodedError('config_invalid', `routing: ${message}`);

/**
 * Builds the router from every area's handlers; throws (stopping the start) on a wiring mistake.
 * `verbs` defaults to ALL_VERBS from src/bot/verbs.ts (tests route their own verb sets).
 */
export function createRouter(sets: HandlerSet[]): Router;
export function createRouter<V extends string>(sets: HandlerSet<V>[], verbs: readonly V[]): Router;
export function createRouter<V extends string>(sets: HandlerSet<V>[] | HandlerSet[], verbs?: readonly V[]): Router {
  // Without a verb list the sets are the app's own (HandlerSet<Verb>, the first overload).
  return verbs ? routerOver(sets as HandlerSet<V>[], verbs) : routerOver<Verb>(sets as HandlerSet[], ALL_VERBS);
}

function routerOver<V extends string>(sets: HandlerSet<V>[], verbs: readonly V[]): Router {
  const commands = new Map<string, CommandHandler>();
  const actions = new Map<V, ActionHandler>();
  let added: ((turn: AddedTurn) => Promise<void>) | undefined;
  let help: CommandHandler | undefined;
  const known: ReadonlySet<string> = new Set(verbs);
  /** The one place the untrusted verb text of an invoke becomes a verb of this router. */
  const isKnown = (text: string): text is V => known.has(text);

  for (const set of sets) {
    for (const [name, handler] of Object.entries(set.commands ?? {})) {
      if (!COMMAND_NAME.test(name)) throw wiring(`command "${name}" must be one lower-case word`);
      if (commands.has(name)) throw wiring(`command "${name}" is registered twice`);
      commands.set(name, handler);
    }
    for (const [verb, handler] of Object.entries<ActionHandler | undefined>(set.actions ?? {})) {
      if (!handler) continue;
      if (!isKnown(verb)) throw wiring(`handler for verb "${verb}", which src/bot/verbs.ts does not list`);
      if (actions.has(verb)) throw wiring(`verb "${verb}" has two handlers`);
      actions.set(verb, handler);
    }
    if (set.added) {
      if (added) throw wiring('two welcome (added) handlers');
      added = set.added;
    }
    if (set.help) {
      if (help) throw wiring('two help handlers');
      help = set.help;
    }
  }
  const missing = verbs.filter((v) => !actions.has(v));
  if (missing.length > 0) throw wiring(`verb${missing.length > 1 ? 's' : ''} without a handler: ${missing.join(', ')}`);
  if (!help) throw wiring('no help handler');
  if (!added) throw wiring('no welcome (added) handler');
  const helpHandler = help;
  const addedHandler = added;
  if (!commands.has('help')) commands.set('help', helpHandler);

  async function onMessage(turn: MessageTurn): Promise<void> {
    const { command, args } = parseCommand(turn.text);
    const handler = commands.get(command);
    // Unknown text (and an empty message) gets the help card.
    if (!handler) return helpHandler(turn, []);
    return handler(turn, args);
  }

  async function onAction(turn: ActionTurn): Promise<ActionResult> {
    const handler = isKnown(turn.verb) ? actions.get(turn.verb) : undefined;
    const result = handler ? await handler(turn)
      : { card: refusalCard('Unknown action', `picbot does not know the action "${turn.verb.slice(0, 100)}". Type "help" to see what it can do.`), scope: 'clicker' as const, refusal: true };
    // The answer replaces the clicked card, which may be far up the chat: a refusal also goes to
    // the bottom, where the clicker looks next.
    if (result.refusal) await turn.say({ card: result.card });
    return result;
  }

  function handle(turn: MessageTurn | AddedTurn): Promise<void>;
  function handle(turn: ActionTurn): Promise<ActionResult>;
  function handle(turn: Turn): Promise<ActionResult | void>;
  function handle(turn: Turn): Promise<ActionResult | void> {
    switch (turn.kind) {
      case 'message':
        return onMessage(turn);
      case 'action':
        return onAction(turn);
      case 'added':
        return addedHandler(turn);
    }
  }

  return { handle, commands: () => [...commands.keys()].sort() };
}
