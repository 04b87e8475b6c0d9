/** The provisioning request record, the list of records, and the JSON export card. */
import type { FieldErrors, Fields } from '../../core/card-fields';
import { AGREEMENT_LABEL } from '../../core/request';
import { exportShape, fiveDataItems, provisioningProgress, WHAT_CHANGED } from '../../core/request-record';
import { PROFILE_LABEL } from '../../contracts/profiles';
import type { Card } from '../turn';
import type { IntakeDraft, RequestRecord } from '../workflows/ports';
import { positionText } from './intake';
import { renderCard } from './render';

/** `2026-11-28 14:05 UTC`: the same for every reader, whatever their time zone. */
export const when = (iso: string): string => `${iso.slice(0, 10)} ${iso.slice(11, 16)} UTC`;

function statusText(rec: RequestRecord): string {
  switch (rec.status) {
    case 'draft':
      return 'draft (not submitted)';
    case 'submitted':
      return `submitted on ${rec.submittedOn}`;
    case 'active':
      return `active since ${rec.activeOn} (submitted on ${rec.submittedOn})`;
  }
}

const targetText = (rec: RequestRecord) => `${rec.request.target.label} · ${PROFILE_LABEL[rec.request.target.profile]}`;

export interface RecordCardInput {
  record: RequestRecord;
  /** YYYY-MM-DD, for the days elapsed. */
  today: string;
  notice?: string;
  values?: Fields;
  errors?: FieldErrors;
}

/** The template data of the request record card. */
export function recordCardData(input: RecordCardInput): Record<string, unknown> {
  const { record: rec, today } = input;
  const errors = input.errors ?? {};
  return {
    requestId: rec.id,
    target: targetText(rec),
    notice: input.notice ?? '',
    statusText: statusText(rec),
    progress: provisioningProgress(rec, today).text,
    owner: rec.ownerName,
    updatedAt: when(rec.updatedAt),
    items: fiveDataItems(rec.request, AGREEMENT_LABEL[rec.request.agreement.type]),
    whatChanged: [...WHAT_CHANGED],
    // A submitted date can still be corrected until the request is active.
    canSubmit: rec.status !== 'active',
    canActivate: rec.status === 'submitted',
    values: { submittedOn: rec.submittedOn ?? '', activeOn: rec.activeOn ?? '', ...(input.values ?? {}) },
    err: { submittedOn: errors.submittedOn ?? [], activeOn: errors.activeOn ?? [] },
  };
}

/** One provisioning request record: the five items, status, days, what changed. */
export function recordCard(input: RecordCardInput): Card {
  return renderCard('request-record', recordCardData(input));
}

/** The template data of the `status` list. */
export function requestListData(records: RequestRecord[], drafts: IntakeDraft[], today: string): Record<string, unknown> {
  return {
    requests: records.map((rec) => ({
      requestId: rec.id,
      target: targetText(rec),
      statusText: statusText(rec),
      progress: provisioningProgress(rec, today).text,
    })),
    drafts: drafts.map((d) => ({ draftId: d.id, target: d.targetLabel, where: positionText(d.position), updatedAt: when(d.updatedAt) })),
  };
}

/** `status` without an id: the records, and the caller's unfinished intakes. */
export function requestListCard(records: RequestRecord[], drafts: IntakeDraft[], today: string): Card {
  return renderCard('request-list', requestListData(records, drafts, today));
}

/** The export JSON, exactly as `picbot request export` prints it. */
export function exportJson(rec: RequestRecord): string {
  return JSON.stringify(exportShape(rec.request), null, 2);
}

/** A card showing the export JSON. */
export function exportCard(rec: RequestRecord): Card {
  return renderCard('request-export', { requestId: rec.id, json: exportJson(rec) });
}
