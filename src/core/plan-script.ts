import { PROFILE_LABEL, PROFILE_PRODUCT } from '../contracts/profiles';
import { renderOp } from '../contracts/render';
import type { Plan } from './planner';

/** A plan as people see it: every step and rollback entry with its rendered PowerShell text. */
export interface PlanView {
  profile: Plan['profile'];
  steps: Array<{
    id: string;
    title: string;
    op: string;
    params: Record<string, unknown>;
    powershell: string;
    rollback: Array<{ op: string; params: Record<string, unknown>; powershell: string }>;
  }>;
  alreadyConfigured: Plan['alreadyConfigured'];
  refusals: Plan['refusals'];
  warnings: Plan['warnings'];
  fingerprint: string;
  planHash: string;
}

/** The plan with rendered text (the `picbot plan --json` shape and what cards show). */
export function planView(plan: Plan): PlanView {
  return {
    profile: plan.profile,
    steps: plan.steps.map((s) => ({
      id: s.id,
      title: s.title,
      op: s.op,
      params: s.params,
      powershell: renderOp(s.op, s.params),
      rollback: s.rollback.map((r) => ({ op: r.op, params: r.params, powershell: renderOp(r.op, r.params) })),
    })),
    alreadyConfigured: plan.alreadyConfigured,
    refusals: plan.refusals,
    warnings: plan.warnings,
    fingerprint: plan.fingerprint,
    planHash: plan.planHash,
  };
}

/** The shell the product ships its cmdlets in. */
const managementShell = (profile: Plan['profile']) =>
  (PROFILE_PRODUCT[profile].startsWith('Skype for Business') ? 'Skype for Business Server Management Shell' : 'Lync Server Management Shell');

const comment = (text: string) => text.split('\n').map((l) => `# ${l}`).join('\n');

/**
 * The plan as a PowerShell script for people: a comment naming each step above its command, the
 * already-configured steps listed, and the rollback section. The rollback commands are comments,
 * so pasting the whole script never undoes what it just did. `picbot plan` prints it and the
 * approval card's "Show script" returns it.
 */
export function planScript(plan: Plan): string {
  const view = planView(plan);
  const lines: string[] = [
    // People read this header: the product's name, not picbot's profile id.
    `# picbot plan for ${PROFILE_LABEL[plan.profile]}`,
    `# Observed-state fingerprint: ${plan.fingerprint}`,
    `# Plan hash: ${plan.planHash}`,
    '# For people to read: picbot\'s runner applies these steps as data (check, change, verify), not this text.',
    `# Run in the ${managementShell(plan.profile)} as a member of RTCUniversalServerAdmins or CsAdministrator.`,
  ];
  if (plan.warnings.length > 0) {
    lines.push('#', '# Warnings:');
    for (const w of plan.warnings) lines.push(comment(`  ${w}`));
  }
  if (plan.refusals.length > 0) {
    lines.push('#', '# REFUSED: nothing will be changed.');
    for (const r of plan.refusals) lines.push(comment(`[${r.code}] ${r.reason}`));
    return `${lines.join('\n')}\n`;
  }
  if (view.alreadyConfigured.length > 0) {
    lines.push('#', '# Already configured (skipped):');
    for (const a of view.alreadyConfigured) lines.push(comment(`  [${a.id}] ${a.title}: ${a.reason}`));
  }
  if (view.steps.length === 0) {
    lines.push('#', '# Nothing to change: the server is already configured as requested.');
    return `${lines.join('\n')}\n`;
  }
  view.steps.forEach((s, i) => {
    lines.push('', `# Step ${i + 1} of ${view.steps.length} [${s.id}]: ${s.title}`, s.powershell);
  });
  lines.push(
    '',
    '# ---- Rollback ----',
    '# Undoes the steps above in reverse order, from the values captured before the change.',
    '# Commented out so that pasting this script never runs it; picbot sends a rollback for approval like any plan.',
  );
  [...view.steps].reverse().forEach((s) => {
    const n = view.steps.indexOf(s) + 1;
    lines.push(`# Undo step ${n} [${s.id}]: ${s.title}`);
    for (const r of s.rollback) lines.push(comment(r.powershell));
  });
  return `${lines.join('\n')}\n`;
}
