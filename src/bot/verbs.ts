/**
 * The dotted verb constants of every Action.Execute on every card: a leaf module that routing and
 * views both import. The router refuses to start when one of these has no handler, and the card
 * tests check every verb in cards/*.json is listed here (and the reverse).
 */
export const VERBS = {
  // intake
  intakeTargetSubmit: 'intake.target.submit',
  intakeAgreementSubmit: 'intake.agreement.submit',
  intakeEdgeSubmit: 'intake.edge.submit',
  intakeDomainsSubmit: 'intake.domains.submit',
  intakeContactsSubmit: 'intake.contacts.submit',
  intakeOptionsSubmit: 'intake.options.submit',
  intakeEdit: 'intake.edit',
  intakeResume: 'intake.resume',
  intakeDiscard: 'intake.discard',
  intakeStart: 'intake.start',
  intakeFinish: 'intake.finish',
  intakeBack: 'intake.back',
  intakeReview: 'intake.review',
  requestExport: 'request.export',
  requestStatus: 'request.status',
  requestSubmitted: 'request.submitted',
  requestActive: 'request.active',
  // discovery
  requestDiscover: 'request.discover',
  // preflight
  preflightRun: 'preflight.run',
  // plans: approval, apply, report, rollback
  planRequest: 'plan.request',
  planApprove: 'plan.approve',
  planReject: 'plan.reject',
  planScript: 'plan.script',
  planRefresh: 'plan.refresh',
  planStatus: 'plan.status',
  jobCancel: 'job.cancel',
  jobRollback: 'job.rollback',
  jobRetry: 'job.retry',
  // drift watch (docs/drift.md)
  driftRestore: 'drift.restore',
  driftAccept: 'drift.accept',
  driftSnooze: 'drift.snooze',
} as const;

export type Verb = (typeof VERBS)[keyof typeof VERBS];
export const ALL_VERBS: readonly Verb[] = Object.values(VERBS);

const KNOWN: ReadonlySet<string> = new Set(ALL_VERBS);

/** Whether untrusted text (the verb of a Teams invoke) is one of picbot's verbs. */
export function isVerb(text: string): text is Verb {
  return KNOWN.has(text);
}
