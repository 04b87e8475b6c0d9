import { appendFileSync, existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { JobEvent } from '../../../src/contracts/runner-api';
import { createEventSender, resumeFrom } from '../../../src/runner/event-sender';
import { GatewayCallError, type GatewayClient } from '../../../src/runner/gateway-client';
import { createJournal, journalDirFor, readJournal } from '../../../src/runner/journal';
import { silentLogger } from '../../../src/shared/logger';

const JOB = 'job_0123456789abcdef';
const ev = (n: number): JobEvent => ({ type: 'log', at: '2026-01-01T00:00:00.000Z', level: 'info', message: `e${n}` });

let root: string;
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'picbot-journal-'));
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

/** A server that stores each seq once (as the real one does) and can be down. */
function fakeServer() {
  const stored = new Map<number, string[]>();
  let down = false;
  const client: Pick<GatewayClient, 'events'> = {
    async events(_jobId, body) {
      if (down) throw new GatewayCallError('network', 'connect ECONNREFUSED');
      if (!stored.has(body.seq)) stored.set(body.seq, body.events.map((e) => (e.type === 'log' ? e.message : e.type)));
    },
  };
  return { client, stored, setDown: (v: boolean) => { down = v; }, all: () => [...stored.entries()].sort((a, b) => a[0] - b[0]).flatMap(([, m]) => m) };
}

describe('runner journal', () => {
  it('lives next to the credentials file, owner-only, one file per job', () => {
    const journal = createJournal(journalDirFor(join(root, 'runner.json')));
    const file = journal.open({ jobId: JOB, leaseId: 'lease-1', envelopeHash: 'a'.repeat(64) });
    file.event(ev(1));
    file.close();
    expect(journal.dir).toBe(join(root, 'runner.json.journal'));
    expect(readdirSync(journal.dir)).toEqual([`${JOB}.jsonl`]);
    if (process.platform !== 'win32') {
      expect(statSync(journal.dir).mode & 0o777).toBe(0o700);
      expect(statSync(join(journal.dir, `${JOB}.jsonl`)).mode & 0o777).toBe(0o600);
    }
    expect(journal.pending()).toEqual([JOB]);
    expect(file.elapsedMs).toBeGreaterThanOrEqual(0);
  });

  it('reads back what was written, and a last line cut short by a crash is ignored', () => {
    const journal = createJournal(join(root, 'j'));
    const file = journal.open({ jobId: JOB, leaseId: 'lease-1', envelopeHash: null });
    file.event(ev(1));
    file.batch(0, 1);
    file.sent(0);
    file.event(ev(2));
    file.close();
    appendFileSync(join(root, 'j', `${JOB}.jsonl`), '{"t":"event","ev');
    const state = readJournal(join(root, 'j', `${JOB}.jsonl`));
    expect(state).toMatchObject({ jobId: JOB, leaseId: 'lease-1', envelopeHash: null, result: null, refused: null });
    expect(state.events).toEqual([ev(1), ev(2)]);
    expect(state.batches).toEqual([{ seq: 0, count: 1, sent: true }]);
  });

  it('after a restart, resends an unacknowledged batch with exactly its seq and events, then the rest: the server has everything once, in order', async () => {
    const server = fakeServer();
    const journal = createJournal(join(root, 'j'));
    const file = journal.open({ jobId: JOB, leaseId: 'l', envelopeHash: null });
    const first = createEventSender({ client: server.client, jobId: JOB, leaseId: 'l', logger: silentLogger(), sleep: async () => undefined, journal: file });
    first.push(ev(1));
    await first.flush();
    server.setDown(true);
    first.push(ev(2));
    first.push(ev(3));
    // The runner dies while the server is down: batch 1 was written but never acknowledged.
    first.abandon();
    await first.flush();
    file.close();

    const { journal: again, state } = journal.resume(JOB);
    const resumed = resumeFrom(state);
    expect(resumed.nextSeq).toBe(2);
    expect(resumed.batches.map((b) => b.seq)).toEqual([1]);
    server.setDown(false);
    const second = createEventSender({ client: server.client, jobId: JOB, leaseId: 'l', logger: silentLogger(), sleep: async () => undefined, journal: again, resume: resumed });
    second.push(ev(4));
    await second.flush();
    expect(server.all()).toEqual(['e1', 'e2', 'e3', 'e4']);
    expect(server.stored.get(1)).toEqual(['e2']);
    again.result({ status: 'succeeded' });
    again.done();
    expect(existsSync(join(root, 'j', `${JOB}.jsonl`))).toBe(false);
    expect(journal.pending()).toEqual([]);
  });

  it('a job whose record the server refused for good is kept aside and not delivered again', () => {
    const journal = createJournal(join(root, 'j'));
    const file = journal.open({ jobId: JOB, leaseId: 'l', envelopeHash: null });
    file.refused('409 not leased to this runner');
    expect(journal.pending()).toEqual([]);
    expect(readdirSync(join(root, 'j'))).toEqual([`${JOB}.jsonl.refused`]);
  });
});
