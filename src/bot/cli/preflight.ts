import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { ProvisioningRequest } from '../../core/request';
import { createLogger } from '../../shared/logger';
import { processIo, type CliIo } from './io';
import { ConfigError, loadConfig } from '../config';
import { summarizePreflight, type PreflightResult } from '../preflight/port';
import { runPreflight } from '../preflight/run-preflight';

export const usage = `Usage: picbot preflight --request REQ.json [--json]

Checks what federation partners on the internet see for a provisioning request (the request
export format): for each SIP domain the _sipfederationtls._tcp SRV record (exists, port 5061,
target is one of the request's Access Edge FQDNs and is <one label>.<domain>) and the _sip._tls
SRV record (a warning only); for each Access Edge FQDN an A/AAAA record and a TLS handshake on
port 5061 of that address, whose certificate must name the FQDN exactly (no wildcard), be in
date and chain to a CA in Node's store (NODE_EXTRA_CA_CERTS is honoured).

  --request FILE    the provisioning request JSON
  --json            print only {"results":[{check,subject,status,detail}]}
  --tls-port N      connect to port N of the looked-up address instead of 5061. For labs and
                    tests only: the output names the port, and the bot never uses it
  -h, --help        print this help

Environment: PICBOT_DNS_SERVERS (comma-separated ip[:port]; default the system's resolver),
PICBOT_PREFLIGHT_TIMEOUT_MS (default 5000; the whole run ends shortly after it).
Logs go to stderr. Exit codes: 0 no check failed (warnings do not count), 1 a check failed, or
bad flags or bad input.
`;

const ICON: Record<PreflightResult['status'], string> = { pass: '✓', fail: '✗', warn: '!' };

/** The human form: one line per check, then the counts. */
export function formatResults(results: readonly PreflightResult[]): string {
  const checkWidth = Math.max(...results.map((r) => r.check.length), 5);
  const subjectWidth = Math.max(...results.map((r) => r.subject.length), 7);
  const lines = results.map((r) => `${ICON[r.status]} ${r.check.padEnd(checkWidth)}  ${r.subject.padEnd(subjectWidth)}  ${r.detail}`);
  const s = summarizePreflight(results);
  lines.push(`${s.pass} passed, ${s.fail} failed, ${s.warn} warning${s.warn === 1 ? '' : 's'}`);
  return `${lines.join('\n')}\n`;
}

class InputError extends Error {}

/** `picbot preflight …` (argv is what follows `preflight`). Resolves to the exit code. */
export async function run(argv: string[], io: CliIo = processIo): Promise<number> {
  let values: { request?: string; json?: boolean; 'tls-port'?: string; help?: boolean };
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        request: { type: 'string' },
        json: { type: 'boolean' },
        'tls-port': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (err) {
    io.stderr(`picbot preflight: ${(err as Error).message}\n\n${usage}`);
    return 1;
  }
  if (values.help) {
    io.stdout(usage);
    return 0;
  }
  try {
    if (!values.request) throw new InputError('--request is required');
    const tlsPort = values['tls-port'] === undefined ? null : parsePort(values['tls-port']);
    const config = loadConfig();
    const logger = createLogger({ level: config.logLevel, name: 'picbot-preflight' });
    const request = await readRequest(values.request);
    if (tlsPort !== null) logger.warn({ tlsPort }, 'TLS checks connect to a non-standard port (--tls-port): lab use only');
    const results = await runPreflight(request, {
      dnsServers: config.dnsServers,
      timeoutMs: config.preflightTimeoutMs,
      ...(tlsPort !== null ? { tlsRoute: (_fqdn: string, address: string) => ({ host: address, port: tlsPort }) } : {}),
      logger,
    });
    io.stdout(values.json ? `${JSON.stringify({ results })}\n` : formatResults(results));
    return summarizePreflight(results).ok ? 0 : 1;
  } catch (err) {
    if (err instanceof InputError || err instanceof ConfigError) {
      io.stderr(`picbot preflight: ${err.message}\n${err instanceof InputError && err.message.startsWith('--request is') ? `\n${usage}` : ''}`);
      return 1;
    }
    throw err;
  }
}

function parsePort(raw: string): number {
  const port = /^\d{1,5}$/.test(raw) ? Number(raw) : NaN;
  if (!(port >= 1 && port <= 65535)) throw new InputError(`--tls-port: ${JSON.stringify(raw)} is not a port number (1-65535)`);
  return port;
}

/** Reads and parses the request file; every problem names the file and the zod path. */
async function readRequest(file: string): Promise<ProvisioningRequest> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new InputError(`--request ${file}: cannot read: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new InputError(`--request ${file}: not JSON: ${(err as Error).message}`);
  }
  const parsed = ProvisioningRequest.safeParse(json);
  if (!parsed.success) {
    const lines = parsed.error.issues.slice(0, 10).map((i) => `  ${i.path.length ? i.path.join('.') : '(root)'}: ${i.message}`);
    throw new InputError(`--request ${file}: invalid:\n${lines.join('\n')}`);
  }
  return parsed.data;
}
