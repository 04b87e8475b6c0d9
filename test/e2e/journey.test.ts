/**
 * The whole journey in a real browser against the real client: Debian's Chromium, driven by
 * playwright-core, through Microsoft 365 Agents Playground, against the bot, runner and simulator
 * started exactly as `npm start` starts them (node dist/bot/start.js, free ports, a temporary data
 * directory). Every assertion is on text the bot rendered; a screenshot of each stage goes to
 * test-results/e2e/ (a failing stage's ends in -FAILED). The preflight checks a loopback DNS
 * server and a loopback TLS Access Edge (federation-lab.ts); nothing leaves the machine.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Locator, type Page } from 'playwright-core';
import { normalizeObserved, ObservedState } from '../../src/contracts/observed';
import { configuredState } from '../fixtures/load';
import { freePort, groupAlive, ROOT, startDemoProcess, stopLeftovers, type DemoProcess } from '../integration/demo-process';
import { DOMAIN, EDGE, startFederationLab, type FederationLab } from './federation-lab';

const CHROMIUM = '/usr/bin/chromium';
const SHOTS = join(ROOT, 'test-results', 'e2e');
/** An upper bound for one thing to appear, not a speed requirement: a slow machine only waits longer. */
const WAIT_MS = 90_000;

let work: string;
let lab: FederationLab | null = null;
let demo: DemoProcess | null = null;
let context: BrowserContext | null = null;
let page: Page;
let stageNo = 0;
const outside: string[] = [];

/** Runs one stage; screenshots it on success and on failure, and names it in the error. */
async function stage(name: string, body: () => Promise<void>): Promise<void> {
  stageNo += 1;
  const file = join(SHOTS, `${String(stageNo).padStart(2, '0')}-${name}`);
  try {
    await body();
  } catch (err) {
    await page.screenshot({ path: `${file}-FAILED.png` }).catch(() => undefined);
    if (err instanceof Error) {
      const where = `stage "${name}" (screenshot ${file}-FAILED.png): `;
      // Jest prints the stack, which already holds the old message.
      if (err.stack?.includes(err.message)) err.stack = err.stack.replace(err.message, where + err.message);
      err.message = where + err.message;
    }
    throw err;
  }
  await page.screenshot({ path: `${file}.png` });
}

/** Playwright matches a string case-insensitively; the bot's exact words are what we check. */
const exactly = (text: string | RegExp): RegExp => (typeof text === 'string' ? new RegExp(text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')) : text);

/** The newest card in the chat that shows `text`. */
const card = (text: string | RegExp): Locator => page.locator('.ac-adaptiveCard', { hasText: exactly(text) }).last();

/** Waits until a card showing all of `texts` is on screen, and returns it. */
async function cardWith(...texts: Array<string | RegExp>): Promise<Locator> {
  let found = page.locator('.ac-adaptiveCard');
  for (const t of texts) found = found.filter({ hasText: exactly(t) });
  await found.last().waitFor({ state: 'visible' });
  return found.last();
}

/** Types into the rendered text input with this label, key by key, as a person would. */
async function typeInto(scope: Locator, label: string, text: string): Promise<void> {
  const input = scope.getByRole('textbox', { name: label });
  await input.click();
  await input.press('ControlOrMeta+a');
  await input.press('Backspace');
  await input.pressSequentially(text);
}

async function say(text: string): Promise<void> {
  const box = page.locator('[contenteditable="true"][role="textbox"]');
  await box.click();
  await page.keyboard.type(text);
  await page.keyboard.press('Enter');
}

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: install it with "apt-get install -y chromium" (.ci/run does)`);
  rmSync(SHOTS, { recursive: true, force: true });
  mkdirSync(SHOTS, { recursive: true });
  work = mkdtempSync(join(tmpdir(), 'picbot-e2e-'));
  lab = await startFederationLab(work);
  demo = await startDemoProcess({
    dataDir: join(work, 'data'),
    env: {
      PICBOT_PLAYGROUND_PORT: String(await freePort()),
      PICBOT_DNS_SERVERS: lab.dnsServer,
      NODE_EXTRA_CA_CERTS: lab.caFile,
    },
  });
  context = await chromium.launchPersistentContext(join(work, 'chromium-profile'), {
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
    viewport: { width: 1280, height: 1400 },
  });
  // Tests talk to loopback only: the Playground's web fonts (a CDN) are refused, not fetched.
  await context.route((url) => !['127.0.0.1', 'localhost'].includes(url.hostname), (route) => {
    outside.push(route.request().url());
    return route.abort();
  });
  context.setDefaultTimeout(WAIT_MS);
  page = context.pages()[0] ?? (await context.newPage());
});

afterAll(async () => {
  await context?.close();
  await stopLeftovers();
  await lab?.close();
  if (work) rmSync(work, { recursive: true, force: true });
});

it('an admin goes from "start" to an applied plan in Agents Playground, and the simulated server ends up configured', async () => {
  await stage('welcome', async () => {
    await page.goto(demo!.readyUrl);
    const welcome = await cardWith("Hello, I'm picbot");
    await welcome.getByText(/^Local mode: every user is an admin/).waitFor();
  });

  await stage('target', async () => {
    await say('start');
    const target = await cardWith('Target deployment', 'step 1 of 6');
    // npm start offers its simulated runner's label as the target.
    expect(await target.getByRole('textbox', { name: 'Runner label' }).inputValue()).toBe('lync-sim');
    await target.getByRole('radio', { name: 'Lync Server 2013 (before CU5)' }).check();
    await target.getByRole('button', { name: 'Next' }).click();
  });

  await stage('agreement', async () => {
    const agreement = await cardWith('Microsoft agreement', 'lync-sim · new provisioning request · step 2 of 6');
    await agreement.getByRole('radio', { name: 'Microsoft Volume Licensing agreement number' }).check();
    await typeInto(agreement, 'Agreement number', '12345678');
    await agreement.getByRole('checkbox', { name: 'I accept the Product Use Rights for Lync Server' }).check();
    await agreement.getByRole('button', { name: 'Next' }).click();
  });

  await stage('free-text-mid-intake', async () => {
    // Typed into the chat instead of the card: picbot names the open intake and its step.
    await cardWith('Access Edge FQDNs', 'step 3 of 6');
    await say('sip.contoso.com');
    const answer = await cardWith('"sip.contoso.com" is not a command', 'open at step 3 of 6 (Access Edge FQDNs)');
    expect(await answer.getByRole('button', { name: 'Discard' }).count()).toBe(1);
    await answer.getByRole('button', { name: 'Resume' }).waitFor();
  });

  await stage('edge-invalid', async () => {
    await card('is not a command').getByRole('button', { name: 'Resume' }).click();
    const edge = await cardWith('Access Edge FQDNs', 'step 3 of 6');
    await typeInto(edge, 'Access Edge service FQDN', 'sip..contoso.com');
    await edge.getByRole('button', { name: 'Next' }).click();
    // The same card comes back with a message under the field and the typed value kept.
    const again = await cardWith('Access Edge FQDNs', 'empty label (two dots in a row, or a leading dot)');
    expect(await again.getByRole('textbox', { name: 'Access Edge service FQDN' }).inputValue()).toBe('sip..contoso.com');
  });

  await stage('edge-fixed', async () => {
    const edge = card('Access Edge FQDNs');
    await typeInto(edge, 'Access Edge service FQDN', EDGE);
    await edge.getByRole('button', { name: 'Next' }).click();
    await cardWith('SIP domains', 'step 4 of 6');
  });

  await stage('domains-back', async () => {
    const domains = await cardWith('step 4 of 6');
    await typeInto(domains, 'SIP domains', DOMAIN);
    // Back keeps what was typed: the Access Edge card comes back as filled in.
    await domains.getByRole('button', { name: 'Back' }).click();
    // The answer replaces this card (an older copy of step 3 stays further up the chat).
    await page.locator('.ac-adaptiveCard', { hasText: 'step 4 of 6' }).first().waitFor({ state: 'detached' });
    const edge = await cardWith('Access Edge FQDNs', 'step 3 of 6');
    expect(await edge.getByRole('textbox', { name: 'Access Edge service FQDN' }).inputValue()).toBe(EDGE);
    await edge.getByRole('button', { name: 'Next' }).click();
  });

  await stage('contacts', async () => {
    const contacts = await cardWith('Contact information', 'step 5 of 6');
    await typeInto(contacts, 'Name', 'Dana Admin');
    await typeInto(contacts, 'Phone', '+14255550100');
    await typeInto(contacts, `Administrator e-mail for ${DOMAIN}`, `dana@${DOMAIN}`);
    await contacts.getByRole('button', { name: 'Next' }).click();
  });

  await stage('options', async () => {
    const options = await cardWith('Options', 'step 6 of 6');
    await options.getByRole('radio', { name: 'Global (every user)' }).check();
    // New requests default to federation only; the seed procedure includes the (retired) Skype provider.
    await options.getByRole('radio', { name: 'Federation and the Skype public provider (retired by Microsoft on 5 May 2025)' }).check();
    await options.getByRole('checkbox', { name: 'Make sure partner domain discovery is on' }).check();
    await options.getByRole('radio', { name: 'Leave it as it is' }).check();
    await options.getByRole('button', { name: 'Review' }).click();
  });

  await stage('review', async () => {
    const review = await cardWith('Review the provisioning request', 'Next steps');
    for (const text of ['Lync Server 2013 (before CU5)', '12345678', EDGE, 'Dana Admin', `dana@${DOMAIN}`, 'global (every user)']) {
      await review.getByText(text, { exact: true }).first().waitFor();
    }
  });

  await stage('edit-from-review', async () => {
    const review = card('Next steps');
    // The fourth section is the SIP domains (the SIP domain typed before Back is there).
    await review.getByText(DOMAIN, { exact: true }).first().waitFor();
    await review.getByRole('button', { name: 'Edit' }).nth(3).click();
    const edit = await cardWith(/editing req_[0-9a-z]{16} · SIP domains/);
    expect(await edit.getByRole('textbox', { name: 'SIP domains' }).inputValue()).toBe(DOMAIN);
    await edit.getByRole('button', { name: 'Cancel' }).click();
    await cardWith('Review the provisioning request', 'Next steps');
  });

  await stage('preflight', async () => {
    const review = card('Next steps');
    await review.getByRole('button', { name: 'Run preflight' }).click();
    const result = await cardWith('Preflight: DNS and the Access Edge certificate', 'All 5 checks passed.');
    for (const check of ['Federation SRV record', 'SRV target name (Skype rule)', 'Client sign-in SRV record', 'Access Edge address', 'Access Edge certificate']) {
      await result.getByText(check, { exact: true }).waitFor();
    }
    await result.getByText(exactly(`names ${EDGE}`)).waitFor();
    // The certificate line came from a real connection to the loopback Access Edge.
    expect(lab!.connections()).toBeGreaterThan(0);
  });

  await stage('discover', async () => {
    await card('Next steps').getByRole('button', { name: 'Discover current state' }).click();
    const state = await cardWith('Current state of lync-sim', 'Lync Server 2013 (5.0.8308.0)', /Fingerprint [0-9a-f]{12}/);
    await state.getByText(exactly('disabled · federation.messenger.msn.com')).waitFor();
    await state.getByRole('button', { name: 'Back to the review' }).click();
    await cardWith('Review the provisioning request', 'Next steps');
  });

  let planId = '';
  await stage('approval-requested', async () => {
    await card('Next steps').getByRole('button', { name: 'Request approval' }).click();
    const approval = await cardWith('Approve this plan?', 'Steps (4)');
    planId = /plan_[0-9a-z]{16}/.exec(await approval.innerText())?.[0] ?? '';
    expect(planId).not.toBe('');
    for (const command of [
      'Set-CsAccessEdgeConfiguration -AllowFederatedUsers $true -EnablePartnerDiscovery $true -UseDnsSrvRouting',
      'Set-CsExternalAccessPolicy -Identity Global -EnableFederationAccess $true -EnablePublicCloudAccess $true',
      'Remove-CsPublicProvider -Identity Messenger',
      'New-CsPublicProvider -Identity Skype -ProxyFqdn federation.messenger.msn.com',
    ]) {
      await approval.getByText(exactly(command)).waitFor();
    }
    await cardWith('Approval requested', planId);
  });

  await stage('applying-double-click', async () => {
    // A double click: one vote, one job, and the clicked card follows the job step by step.
    await cardWith(`${planId} · plan`, 'Approve this plan?').then((c) => c.getByRole('button', { name: 'Approve' }).dblclick());
    await cardWith(`${planId} · plan`, 'Applying the plan', '✓ done', '◐ running');
  });

  await stage('report', async () => {
    const report = await cardWith(`${planId} · plan`, 'Plan applied', 'Report');
    expect(await report.getByText(/^✓ done/).count()).toBe(4);
    await report.getByText('Approved by', { exact: true }).waitFor();
    await report.getByText('npm start (simulated Lync 2013)', { exact: true }).first().waitFor();
    await report.getByText(/succeeded/).first().waitFor();
    await cardWith('Your plan was applied', planId);
  });

  await stage('show-script', async () => {
    const report = await cardWith(`${planId} · plan`, 'Plan applied');
    await report.getByRole('button', { name: 'Show script' }).click();
    const script = await cardWith('The plan as a PowerShell script', planId);
    // Every line as exported: the comment markers of the rollback section are there.
    await script.getByText('# ---- Rollback ----', { exact: true }).waitFor();
    await script.getByText(/^# Undo step 1 \[/).first().waitFor();
  });

  await stage('back-to-the-plan', async () => {
    await card('The plan as a PowerShell script').getByRole('button', { name: 'Back to the plan' }).click();
    const back = await cardWith(`${planId} · plan`, 'Plan applied', 'Report');
    await back.getByRole('button', { name: 'Show script' }).waitFor();
  });

  await stage('intake-closed', async () => {
    // The applied plan closed its intake: "start" begins a new one.
    await say('start');
    await cardWith('Target deployment', 'step 1 of 6');
    expect(await page.locator('.ac-adaptiveCard', { hasText: 'You have an unfinished intake' }).count()).toBe(0);
  });

  await stage('refusal-way-forward', async () => {
    // A product picbot cannot configure: refused, also at the bottom of the chat, with a way on.
    const target = await cardWith('Target deployment', 'step 1 of 6');
    await target.getByRole('radio', { name: 'OCS 2007 R2 or older' }).check();
    await target.getByRole('button', { name: 'Next' }).click();
    const refusal = await cardWith('picbot cannot configure OCS 2007 R2 or older', 'start again and choose that product');
    await refusal.getByRole('button', { name: 'Start an intake' }).waitFor();
  });

  await stage('way-forward', async () => {
    await card('picbot cannot configure OCS 2007 R2 or older').getByRole('button', { name: 'Start an intake' }).click();
    await cardWith('Target deployment', 'step 1 of 6');
  });

  await stage('simulated-server', async () => {
    // What the runner did to the (simulated) server: exactly the configured Lync 2013 state.
    const sim = JSON.parse(readFileSync(join(demo!.dataDir, 'lync-sim.json'), 'utf8'));
    expect(normalizeObserved(ObservedState.parse(sim))).toEqual(normalizeObserved(configuredState('lync2013')));
  });

  await stage('stop', async () => {
    const end = await demo!.stop('SIGINT');
    expect(end).toEqual({ code: 0, signal: null });
    for (const pid of demo!.childPids) expect(groupAlive(pid)).toBe(false);
  });
});
