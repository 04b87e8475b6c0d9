/**
 * picbot-runner (bin/picbot-runner.js → dist/runner/main.js): enrolls once, keeps its credentials
 * in a 0600 file, then runs the agent loop until SIGINT/SIGTERM. See args.ts for the flags.
 * Depends only on src/contracts and src/shared (lint enforces it): it runs on another machine.
 */
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { ENROLL_TOKEN_ENV } from '../contracts/runner-api';
import { createLogger, type Logger } from '../shared/logger';
import { createAgent } from './agent';
import { parseRunnerArgs, plainHttpProblem, USAGE, UsageError, type RunnerArgs } from './args';
import { CredentialsError, readCredentials, writeCredentials, type RunnerCredentials } from './credentials';
import { createGatewayClient, GatewayCallError } from './gateway-client';
import { createEnvelopeGuard, createTakenJobs } from './envelope-guard';
import { credentialsReadableProblem, scriptWritableProblem } from './file-access';
import { createJournal, journalDirFor } from './journal';
import { createPinnedKeys } from './pinned-keys';
import { createShellHost, LYNC_OPS_SCRIPT } from './shell-host';

class StartError extends Error {}

/** The first line of stdin (`--enroll -`), trimmed. */
async function tokenFromStdin(): Promise<string> {
  let text = '';
  for await (const chunk of process.stdin) {
    text += String(chunk);
    if (text.includes('\n')) break;
  }
  const token = text.split('\n')[0]!.trim();
  if (token === '') throw new StartError('--enroll -: stdin held no token (give it on the first line)');
  return token;
}

async function enroll(args: RunnerArgs, log: Logger): Promise<RunnerCredentials> {
  const server = args.server!;
  const client = createGatewayClient({ server });
  const token = args.enrollFrom === 'stdin' ? await tokenFromStdin() : args.enroll!;
  let answer;
  try {
    answer = await client.enroll({ enrollmentToken: token, name: args.name, labels: args.labels! });
  } catch (err) {
    if (err instanceof GatewayCallError && err.failure === 'unauthorized') {
      throw new StartError('the server refused the enrollment token (unknown, expired after 1 hour, or already used): make a new one with "runner token" in a personal chat with the bot, or "picbot runner-token --labels …"');
    }
    if (err instanceof GatewayCallError && err.status === 403) throw new StartError(`enrollment refused: ${err.message.replace(/^POST \/enroll: 403 /, '')}`);
    throw new StartError(`enrolling with ${server}: ${(err as Error).message}`);
  }
  const credentials: RunnerCredentials = {
    server,
    runnerId: answer.runnerId,
    runnerToken: answer.runnerToken,
    serverKey: answer.serverKey,
    labels: args.labels!,
    name: args.name,
    shell: args.shell!,
    simState: args.shell === 'sim' ? (args.simState ?? resolve('data', 'lync-sim.json')) : null,
    frontEnd: args.frontEnd,
    enrolledAt: new Date().toISOString(),
  };
  writeCredentials(args.config, credentials);
  log.info({ runnerId: credentials.runnerId, labels: credentials.labels, config: args.config }, 'enrolled; credentials saved (readable by this user only)');
  return credentials;
}

async function start(argv: string[]): Promise<number> {
  let args: RunnerArgs | 'help';
  try {
    args = parseRunnerArgs(argv);
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`picbot-runner: ${err.message}\n\n${USAGE}`);
      return 1;
    }
    throw err;
  }
  if (args === 'help') {
    process.stdout.write(USAGE);
    return 0;
  }
  const log = createLogger({ name: 'picbot-runner', level: args.logLevel });
  try {
    let credentials = readCredentials(args.config);
    if (args.enroll !== null && credentials && args.enrollFrom === 'env') {
      // A service that keeps PICBOT_ENROLL_TOKEN set restarts as the runner it already is.
      log.info({ runnerId: credentials.runnerId, config: args.config }, `already enrolled: ${ENROLL_TOKEN_ENV} is not used`);
    } else if (args.enroll !== null) {
      if (credentials) throw new StartError(`already enrolled as ${credentials.runnerId} (${args.config}); start without --enroll, or remove that file to enroll again`);
      credentials = await enroll(args, log);
    } else if (!credentials) {
      throw new StartError(`not enrolled: ${args.config} does not exist. Enroll first: picbot-runner --server URL --enroll TOKEN --labels LABELS --shell sim|powershell`);
    } else if (args.labels !== null && args.labels.join(',') !== [...credentials.labels].join(',')) {
      throw new StartError(`labels are fixed at enrollment (${credentials.labels.join(', ')}); to serve others, enroll again with a token for them`);
    }
    const server = args.server ?? credentials.server;
    const shell = args.shell ?? credentials.shell;
    const simState = args.simState ?? credentials.simState ?? resolve('data', 'lync-sim.json');
    const frontEnd = args.frontEnd ?? credentials.frontEnd;
    if (shell === 'sim' && !existsSync(simState)) {
      throw new StartError(`the simulator state file ${simState} does not exist; create it with: npx picbot-lync-sim --state ${simState} --init lync2013 < /dev/null`);
    }
    // A credentials file written by an older runner (or edited) may still name a plain http:// server.
    const insecure = plainHttpProblem(server);
    if (insecure) throw new StartError(`the saved server URL in ${args.config}: ${insecure}; pass --server https://… (it overrides the saved URL), or enroll again`);

    // Who else can touch what this runner trusts (mode bits on POSIX, Get-Acl on Windows).
    const credentialsProblem = await credentialsReadableProblem(args.config);
    if (credentialsProblem) throw new StartError(credentialsProblem);
    if (shell === 'powershell') {
      // The script runs as the Lync admin account: someone who can change it can run anything as that account.
      const scriptProblem = await scriptWritableProblem(LYNC_OPS_SCRIPT);
      if (scriptProblem) throw new StartError(scriptProblem);
    }

    const client = createGatewayClient({ server, runnerToken: credentials.runnerToken });
    const pinned = createPinnedKeys({ credentials, path: args.config, fetchRotations: async () => (await client.serverKey()).rotations, logger: log });
    // Catch up with a key rotation made while this runner was stopped (a failure here is not fatal).
    await pinned.refresh();
    const agent = createAgent({
      client,
      serverKey: credentials.serverKey,
      pinned,
      guard: createEnvelopeGuard({
        labels: credentials.labels,
        scriptPath: LYNC_OPS_SCRIPT,
        // Beside the credentials: the jobs taken, so a replay is refused across restarts too.
        taken: createTakenJobs(join(dirname(args.config), 'jobs-taken.json')),
      }),
      logger: log.child({ runnerId: credentials.runnerId }),
      // Next to the credentials file: the same owner-only place, and one per enrolled runner.
      journal: createJournal(journalDirFor(resolve(args.config))),
      openShell: () => createShellHost({
        kind: shell,
        simState: shell === 'sim' ? simState : undefined,
        frontEnd: frontEnd ?? undefined,
        opTimeoutMs: args.opTimeoutMs,
        graceMs: args.graceMs,
        logger: log.child({ component: 'shell' }),
      }),
    });
    let signals = 0;
    const onSignal = (signal: NodeJS.Signals) => {
      signals += 1;
      if (signals > 1) {
        log.warn({ signal }, 'second signal: exiting now');
        process.exit(130);
      }
      log.info({ signal }, 'stopping: the job in hand (if any) stops after its current step and is reported as cancelled');
      agent.stop();
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    log.info({ runnerId: credentials.runnerId, server, labels: credentials.labels, shell }, 'picbot runner started');
    const end = await agent.run();
    return end === 'stopped' ? 0 : 1;
  } catch (err) {
    if (err instanceof StartError || err instanceof CredentialsError) {
      process.stderr.write(`picbot-runner: ${err.message}\n`);
      return 1;
    }
    throw err;
  }
}

// Runs when loaded as the program (bin/picbot-runner.js only requires this file).
void start(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
    // The shell host and sockets are closed by now; exit even if a keep-alive lingers.
    setImmediate(() => process.exit(code));
  },
  (err: unknown) => {
    process.stderr.write(`picbot-runner: ${(err as Error).stack ?? String(err)}\n`);
    process.exit(1);
  },
);
