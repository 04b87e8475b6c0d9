/**
 * A router that tells how each turn ended (for picbot_turns_total, src/bot/metrics.ts): its kind,
 * its verb or command, and ok / refused / error. The labels come from the router's own tables,
 * never from the raw text, so a stranger typing made-up words or verbs adds no new series.
 */
import type { ActionResult, Turn } from '../turn';
import { isVerb } from '../verbs';
import { parseCommand, type Router } from './router';

export type TurnKind = 'message' | 'invoke' | 'added';
export type TurnOutcome = 'ok' | 'refused' | 'error';

/** Called once per turn, after its handler returned or threw. */
export type TurnObserver = (kind: TurnKind, verb: string, outcome: TurnOutcome) => void;

/** The labels of a turn: a known command or verb as it is, anything else as "other". */
export function turnLabels(turn: Turn, commands: ReadonlySet<string>): { kind: TurnKind; verb: string } {
  switch (turn.kind) {
    case 'message': {
      const { command } = parseCommand(turn.text);
      return { kind: 'message', verb: commands.has(command) ? command : 'other' };
    }
    case 'action':
      return { kind: 'invoke', verb: isVerb(turn.verb) ? turn.verb : 'other' };
    case 'added':
      return { kind: 'added', verb: 'added' };
  }
}

/** Wraps `router` so that `observe` hears of every turn it handles; answers are passed on unchanged. */
export function observeTurns(router: Router, observe: TurnObserver): Router {
  const commands: ReadonlySet<string> = new Set(router.commands());
  async function handle(turn: Turn): Promise<ActionResult | void> {
    const { kind, verb } = turnLabels(turn, commands);
    let result: ActionResult | void;
    try {
      result = await router.handle(turn);
    } catch (err) {
      observe(kind, verb, 'error');
      throw err;
    }
    observe(kind, verb, result?.refusal ? 'refused' : 'ok');
    return result;
  }
  return { handle: handle as Router['handle'], commands: () => router.commands() };
}
