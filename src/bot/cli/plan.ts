import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import type { z } from 'zod';
import { ObservedState } from '../../contracts/observed';
import { Profile } from '../../contracts/profiles';
import { plan } from '../../core/planner';
import { planScript, planView } from '../../core/plan-script';
import { ProvisioningRequest } from '../../core/request';
import { processIo, type CliIo } from './io';

export const usage = `Usage: picbot plan --request REQ.json --observed OBS.json [--profile P] [--json]
       picbot plan export <plan_id> [--json] [--db FILE]   (a stored plan; see picbot plan export --help)

Computes the plan for a provisioning request (the request export format) against an observed
server state (a discovery result, or a picbot-lync-sim state file) and prints it as a PowerShell
script: a comment naming each step, the steps already configured, and the rollback section.

  --request FILE    the provisioning request JSON
  --observed FILE   the observed state JSON
  --profile P       override the request's profile: ${Profile.options.join(', ')}
  --json            print only the plan as JSON (steps with their PowerShell, alreadyConfigured,
                    refusals, fingerprint, planHash)
  -h, --help        print this help

Exit codes: 0 plan computed, 2 plan refused (the refusals are printed), 1 bad flags or bad input.
`;

class InputError extends Error {}

/** `picbot plan …` (argv is what follows `plan`). Resolves to the exit code. */
export async function run(argv: string[], io: CliIo = processIo): Promise<number> {
  // `picbot plan export <plan_id>`: a stored plan, from the server's database.
  if (argv[0] === 'export') return (await import('./plan-export')).run(argv, io);
  let values: { request?: string; observed?: string; profile?: string; json?: boolean; help?: boolean };
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        request: { type: 'string' },
        observed: { type: 'string' },
        profile: { type: 'string' },
        json: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (err) {
    io.stderr(`picbot plan: ${(err as Error).message}\n\n${usage}`);
    return 1;
  }
  if (values.help) {
    io.stdout(usage);
    return 0;
  }
  if (!values.request || !values.observed) {
    io.stderr(`picbot plan: ${!values.request ? '--request' : '--observed'} is required\n\n${usage}`);
    return 1;
  }
  try {
    const request = await readInput(values.request, '--request', ProvisioningRequest);
    const observed = await readInput(values.observed, '--observed', ObservedState);
    let profile: Profile = request.target.profile;
    if (values.profile !== undefined) {
      const parsed = Profile.safeParse(values.profile);
      if (!parsed.success) throw new InputError(`--profile: ${JSON.stringify(values.profile)} is not one of ${Profile.options.join(', ')}`);
      profile = parsed.data;
    }
    const result = plan(request, observed, profile);
    io.stdout(values.json ? `${JSON.stringify(planView(result), null, 2)}\n` : planScript(result));
    if (result.refusals.length > 0) {
      io.stderr(`picbot plan: refused (${result.refusals.map((r) => r.code).join(', ')})\n`);
      return 2;
    }
    io.stderr(`picbot plan: ${result.steps.length} step(s), ${result.alreadyConfigured.length} already configured, plan hash ${result.planHash.slice(0, 12)}\n`);
    return 0;
  } catch (err) {
    if (err instanceof InputError) {
      io.stderr(`picbot plan: ${err.message}\n`);
      return 1;
    }
    throw err;
  }
}

/** Reads and parses one input file; every problem names the flag, the file and the zod path. */
async function readInput<S extends z.ZodType>(file: string, flag: string, schema: S): Promise<z.infer<S>> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new InputError(`${flag} ${file}: cannot read: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new InputError(`${flag} ${file}: not JSON: ${(err as Error).message}`);
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) {
    const lines = parsed.error.issues.slice(0, 10).map((i) => `  ${i.path.length ? i.path.join('.') : '(root)'}: ${i.message}`);
    throw new InputError(`${flag} ${file}: invalid:\n${lines.join('\n')}`);
  }
  return parsed.data;
}
