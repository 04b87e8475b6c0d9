/**
 * A runner stand-in: a real HTTP client of the runner API (enroll with a real one-time token, then
 * long-poll `POST /jobs/lease` with its own bearer token), for the scenarios that need many
 * runners or must time the moment a runner holds a job. It runs no shell: a job it gets is handed
 * to `onJob`, which reports a result for it.
 */
import { Agent } from 'node:http';
import { call } from './http';

const BASE = '/api/runner/v1';

/** Long-polls hold a socket each: their own pool, with no cap. */
export const pollAgent = new Agent({ keepAlive: true, maxSockets: Infinity });

export interface Lease {
  jobId: string;
  leaseId: string;
  envelope: { jobId: string; kind: string; issuedAt: string; steps: unknown[] };
  /** Date.now() when the lease answer was read. */
  receivedAt: number;
}

export interface StandIn {
  runnerId: string;
  label: string;
  /** Reports a job's result. */
  result(jobId: string, body: Record<string, unknown>): Promise<void>;
  /** Starts long-polling; each job goes to `onJob` (awaited before the next poll). */
  poll(onJob: (lease: Lease) => Promise<void>): void;
  /** How many lease calls were sent so far. */
  polls(): number;
  stop(): Promise<void>;
}

export async function enrollStandIn(serverUrl: string, enrollmentToken: string, label: string, name: string): Promise<StandIn> {
  const enrolled = await call(`${serverUrl}${BASE}/enroll`, { enrollmentToken, name, labels: [label] });
  if (enrolled.status !== 200) throw new Error(`enroll ${name}: ${enrolled.status} ${JSON.stringify(enrolled.body)}`);
  const { runnerId, runnerToken } = enrolled.body as { runnerId: string; runnerToken: string };
  const headers = { authorization: `Bearer ${runnerToken}` };
  const stopping = new AbortController();
  let loop: Promise<void> = Promise.resolve();
  let polls = 0;

  async function pollLoop(onJob: (lease: Lease) => Promise<void>): Promise<void> {
    while (!stopping.signal.aborted) {
      polls += 1;
      let answer;
      try {
        answer = await call(`${serverUrl}${BASE}/jobs/lease`, { waitSeconds: 30 }, { headers, signal: stopping.signal, agent: pollAgent });
      } catch (err) {
        if (stopping.signal.aborted) return;
        throw err;
      }
      const receivedAt = Date.now();
      if (answer.status === 204) continue;
      if (answer.status !== 200) throw new Error(`lease for ${name}: ${answer.status} ${JSON.stringify(answer.body)}`);
      const body = answer.body as { job: { envelope: Lease['envelope'] }; leaseId: string };
      await onJob({ jobId: body.job.envelope.jobId, leaseId: body.leaseId, envelope: body.job.envelope, receivedAt });
    }
  }

  return {
    runnerId,
    label,
    async result(jobId, body) {
      const r = await call(`${serverUrl}${BASE}/jobs/${jobId}/result`, body, { headers });
      if (r.status !== 200) throw new Error(`result of ${jobId}: ${r.status} ${JSON.stringify(r.body)}`);
    },
    poll(onJob) {
      loop = pollLoop(onJob).catch((err: Error) => {
        process.stderr.write(`bench: runner stand-in ${name} stopped: ${err.message}\n`);
      });
    },
    polls: () => polls,
    async stop() {
      stopping.abort();
      await loop;
    },
  };
}
