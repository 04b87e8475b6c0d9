/** The request record's buttons: open it, export it, mark it submitted or active. */
import { parseDateCard, parseRequestRef } from '../../core/card-refs';
import type { ActionHandler } from '../turn';
import type { ActionTable } from '../app-deps';
import { VERBS } from '../verbs';
import { exportCard, recordCard } from '../views/request';
import { formReader, readCardData } from './card-data';
import { callerOf } from './caller';
import type { IntakeHandlerDeps } from './intake-steps';
import { malformed, refused } from './outcomes';

export function createRequestActionHandlers(deps: IntakeHandlerDeps): ActionTable {
  const { intake } = deps;

  const status: ActionHandler = async (turn) => {
    const ref = readCardData(parseRequestRef, turn.data);
    if (!ref.ok) return malformed(ref.reason);
    const r = await intake.record(callerOf(turn, deps.roles), ref.value.requestId);
    if (!r.ok) return refused(r);
    return { card: recordCard({ record: r.record, today: intake.today() }) };
  };

  const exportJson: ActionHandler = async (turn) => {
    const ref = readCardData(parseRequestRef, turn.data);
    if (!ref.ok) return malformed(ref.reason);
    const r = await intake.record(callerOf(turn, deps.roles), ref.value.requestId);
    if (!r.ok) return refused(r);
    // Only the clicker sees the JSON; the message stays as it was for everyone else.
    return { card: exportCard(r.record), scope: 'clicker' };
  };

  function dated(field: 'submittedOn' | 'activeOn'): ActionHandler {
    return async (turn) => {
      const read = readCardData(formReader((raw) => parseDateCard(raw, field, intake.today())), turn.data);
      if (!read.ok) return malformed(read.reason);
      const shape = read.value;
      const caller = callerOf(turn, deps.roles);
      const r = await intake.record(caller, shape.requestId);
      if (!r.ok) return refused(r);
      const today = intake.today();
      // An active date cannot be before the submission date.
      const checked = readCardData(formReader((raw) => parseDateCard(raw, field, today, field === 'activeOn' ? r.record.submittedOn : null)), turn.data);
      if (!checked.ok) return malformed(checked.reason);
      const outcome = checked.value;
      if (outcome.kind === 'invalid') return { card: recordCard({ record: r.record, today, values: outcome.values, errors: outcome.errors }) };
      const changed = field === 'submittedOn'
        ? await intake.markSubmitted(caller, outcome.requestId, outcome.date)
        : await intake.markActive(caller, outcome.requestId, outcome.date);
      if (!changed.ok) return refused(changed);
      const notice = field === 'submittedOn' ? `Marked as submitted on ${outcome.date}.` : `Marked as active since ${outcome.date}.`;
      return { card: recordCard({ record: changed.record, today, notice }) };
    };
  }

  return {
    [VERBS.requestStatus]: status,
    [VERBS.requestExport]: exportJson,
    [VERBS.requestSubmitted]: dated('submittedOn'),
    [VERBS.requestActive]: dated('activeOn'),
  };
}
