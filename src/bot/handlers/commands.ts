/** Text commands of the intake area: start, resume, status, whoami, help; and the welcome card. */
import type { Roles } from '../../core/roles';
import { idKind, type IdKind } from '../../shared/ids';
import type { AddedTurn, Card, CommandHandler, MessageTurn } from '../turn';
import { helpCard, refusalCard, whoamiCard, welcomeCard, type CommandHelp } from '../views/common';
import { positionText } from '../views/intake';
import { recordCard, requestListCard } from '../views/request';
import { cleanForLog } from '../../shared/logger';
import { callerOf } from './caller';
import { choiceCard, draftCard, newTargetCard } from './draft-card';
import { unfinishedText } from './intake-nav';
import type { IntakeHandlerDeps } from './intake-steps';
import type { IntakeRefusal } from '../workflows/intake';
import type { IntakeDraft } from '../workflows/ports';
import { refused } from './outcomes';

export interface CommandDeps extends IntakeHandlerDeps {
  roles: Roles;
  /** The help card's lines (later areas append theirs). */
  commandHelp: readonly CommandHelp[];
  /** `status <id>` for other areas' ids (plan_…, job_…). */
  statusOf?: StatusOf;
  /** `status LABEL` for a runner label (drift watch); resolves false when it is not one it knows. */
  statusOfLabel?: (turn: MessageTurn, label: string) => Promise<boolean>;
  /** The runner label a new intake's target card offers (AppConfig.defaultTargetLabel). */
  defaultTargetLabel?: string | null;
}

/** Another area's `status <id>`, by the kind of id it answers for. */
export type StatusOf = Partial<Record<IdKind, (turn: MessageTurn, id: string) => Promise<void>>>;

export function createIntakeCommands(deps: CommandDeps) {
  const { intake } = deps;
  const sayRefusal = async (turn: MessageTurn, r: IntakeRefusal) => {
    await turn.say({ card: refused(r).card });
  };

  const start: CommandHandler = async (turn) => {
    const caller = callerOf(turn, deps.roles);
    const may = intake.canStart(caller);
    if (!may.ok) return sayRefusal(turn, may);
    const open = await intake.openDrafts(caller);
    if (open.length > 0) {
      await turn.say({ card: await choiceCard(intake, open, { ...unfinishedText(open.length), offerNew: true }) });
      return;
    }
    await turn.say({ card: newTargetCard(deps.defaultTargetLabel) });
  };

  /** Posts the draft's card as a new message, which becomes its live card. */
  async function sayDraft(turn: MessageTurn, draft: IntakeDraft): Promise<void> {
    const activityId = await turn.say({ card: await draftCard(draft, deps.nextSteps) });
    await deps.shown?.(draft, { conversationId: turn.conversation.id, activityId });
  }

  const resume: CommandHandler = async (turn, args) => {
    const caller = callerOf(turn, deps.roles);
    if (args.length > 0) {
      if (idKind(args[0]) !== 'request') {
        await turn.say({ card: refusalCard('Not an intake id', `"${args[0].slice(0, 40)}" is not an intake id (req_…).`, 'Say "resume" without an id for your open intakes.') });
        return;
      }
      const r = await intake.resume(caller, args[0]);
      if (!r.ok) return sayRefusal(turn, r);
      return sayDraft(turn, r.draft);
    }
    if (!caller.admin) return sayRefusal(turn, { ok: false, code: 'not-admin', reason: 'Only picbot admins work on intakes.' });
    const open = await intake.openDrafts(caller);
    if (open.length === 0) {
      await turn.say({ card: refusalCard('Nothing to resume', 'You have no unfinished intake.', 'Say "start" to begin one, or "status" for the saved requests.') });
      return;
    }
    // One open draft comes back as it stands; several are offered to choose from.
    if (open.length === 1) return sayDraft(turn, open[0]!);
    await turn.say({ card: await choiceCard(intake, open, { ...unfinishedText(open.length), offerNew: false }) });
  };

  const status: CommandHandler = async (turn, args) => {
    const caller = callerOf(turn, deps.roles);
    if (args.length > 0) {
      const kind = idKind(args[0]);
      const other = kind !== null && kind !== 'request' ? deps.statusOf?.[kind] : undefined;
      if (other) return other(turn, args[0]);
      if (kind === null && deps.statusOfLabel && (await deps.statusOfLabel(turn, args[0]))) return;
      if (kind !== 'request') {
        await turn.say({ card: refusalCard('Unknown id', `"${args[0].slice(0, 40)}" is not a provisioning request id (req_…).`, 'Say "status" for the list.') });
        return;
      }
      const r = await intake.record(caller, args[0]);
      if (!r.ok) return sayRefusal(turn, r);
      await turn.say({ card: recordCard({ record: r.record, today: intake.today() }) });
      return;
    }
    const list = await intake.records(caller);
    if (!list.ok) return sayRefusal(turn, list);
    const drafts = caller.admin ? await intake.openDrafts(caller) : [];
    await turn.say({ card: requestListCard(list.records, drafts, intake.today()) });
  };

  const whoami: CommandHandler = async (turn) => {
    await turn.say({ card: whoamiCard(turn.actor, { admin: deps.roles.isAdmin(turn.actor), approver: deps.roles.isApprover(turn.actor) }, turn.conversation.id) });
  };

  // "help" itself always gets the same card: rendered on first use (every area's commands are
  // known by then) and copied after that, instead of expanding the template on every turn.
  let plainHelp: Card | null = null;

  /**
   * `help`, and any text no command claims (shown back as what was not understood). Free text
   * while an intake is open is most likely an answer meant for its card: say which intake is open
   * and where, with Resume and Discard, instead of the help card's "Start an intake".
   */
  const help: CommandHandler = async (turn) => {
    const first = turn.text.trim().split(/\s+/)[0]?.toLowerCase() ?? '';
    const heard = first === 'help' ? '' : turn.text;
    const caller = callerOf(turn, deps.roles);
    const open = heard.trim() !== '' && caller.admin ? await intake.openDrafts(caller) : [];
    if (open.length > 0) {
      const said = cleanForLog(heard.trim(), 60);
      const which = open.length === 1
        ? `Your intake for ${open[0]!.targetLabel} is open ${positionText(open[0]!.position)}: type your answer into its card.`
        : `You have ${open.length} open intakes: type your answers into their cards.`;
      await turn.say({
        card: await choiceCard(intake, open, {
          title: `"${said}" is not a command`,
          text: `${which} Resume brings the card back here; "help" lists the commands.`,
          offerNew: false,
        }),
      });
      return;
    }
    const card = heard === '' ? structuredClone((plainHelp ??= helpCard(deps.commandHelp))) : helpCard(deps.commandHelp, heard);
    await turn.say({ card });
  };

  const added = async (turn: AddedTurn) => {
    await turn.say({ card: welcomeCard() });
  };

  return { commands: { start, resume, status, whoami }, help, added };
}

