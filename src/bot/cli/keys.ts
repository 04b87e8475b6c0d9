/** `picbot keys rotate`: a new job-signing key, announced to runners signed with the old one. */
import { generateSigningKeys, signRotation } from '../../contracts/signing';
import { systemClock } from '../../shared/clock';
import { signingKeyFileFor } from '../config';
import { createKeyRotationStore } from '../stores/key-rotations';
import { readKeyFile, writeKeyFile } from '../stores/key-files';
import { publicKeyId, signingKeysFromPem } from '../stores/server-secrets';
import { auditLogFor, keysBeside, openExistingDatabase } from './database';
import { processIo, type CliIo } from './io';
import { noMoreArgs, subcommandCli } from './subcommand';

export const usage = `Usage: picbot keys rotate [--db FILE] [--json]

rotate   makes a new Ed25519 job-signing key and replaces the key file with it
         (PICBOT_SIGNING_KEY_FILE, else signing.key beside the database). The new public key
         is recorded signed with the old key, so each runner moves its pinned key to the new
         one when it next meets it, trusting nothing it cannot reach from its own key; from then
         on a job signed with the old key is refused. The old private key is gone. Restart the
         server afterwards: it signs with the key it read at start. Jobs still queued were signed
         with the old key; rotate when none is waiting.

  --db FILE    the SQLite file (default: PICBOT_DB, else ./data/picbot.db)
  --json       print {"from","to"} (the keys' SHA-256 fingerprints) as JSON
  -h, --help   print this help

Exit codes: 0 rotated, 1 bad flags, missing database or key file, or failure.
`;

/** `picbot keys …` (argv is what follows `keys`). Resolves to the exit code. */
export const run = (argv: string[], io: CliIo = processIo): Promise<number> => keysCli(argv, io);

const keysCli = subcommandCli<{ db?: string; json?: boolean }>({
  command: 'keys',
  usage,
  options: { db: { type: 'string' }, json: { type: 'boolean' } },
  subcommands: {
    async rotate({ values, args, io }) {
      noMoreArgs(args);
      const { sql: db, where } = await openExistingDatabase(values.db);
      try {
        const setting = signingKeyFileFor(keysBeside(db, where));
        const current = signingKeysFromPem(setting, readKeyFile('PICBOT_SIGNING_KEY_FILE', setting));
        const audit = await auditLogFor(db, where);
        const next = generateSigningKeys();
        const rotation = { previousKey: current.publicKeyPem, nextKey: next.publicKeyPem, at: systemClock.now().toISOString() };
        const signature = signRotation(rotation, current.privateKeyPem);
        const from = publicKeyId(current.publicKeyPem);
        const to = publicKeyId(next.publicKeyPem);
        // The record first, then the file: a runner can follow the rotation before the server signs with the new key.
        await createKeyRotationStore(db).add({ ...rotation, signature });
        writeKeyFile(setting.path, next.privateKeyPem, { replace: true });
        await audit.append({ action: 'signing-key.rotated', actor: 'cli', subjectId: null, detail: { from, to } });
        if (values.json) io.stdout(`${JSON.stringify({ from, to })}\n`);
        else io.stdout(`rotated the job-signing key: ${from.slice(0, 16)}… → ${to.slice(0, 16)}… (${setting.path}). Restart the picbot server to sign with it.\n`);
        return 0;
      } finally {
        await db.close();
      }
    },
  },
});
