/** The signed job-signing key rotations, oldest first (see src/contracts/signing.ts, KeyRotation). */
import { z } from 'zod';
import type { KeyRotation } from '../../contracts/signing';
import type { SqlQueries } from './sql';

const Row = z.object({ previous_key: z.string(), next_key: z.string(), at: z.string(), signature: z.string() });

export interface KeyRotationStore {
  list(): Promise<KeyRotation[]>;
  add(rotation: KeyRotation): Promise<void>;
}

export function createKeyRotationStore(db: SqlQueries): KeyRotationStore {
  return {
    list: async () =>
      (await db.all('SELECT previous_key, next_key, at, signature FROM signing_key_rotations ORDER BY seq'))
        .map((raw) => Row.parse(raw))
        .map((r) => ({ previousKey: r.previous_key, nextKey: r.next_key, at: r.at, signature: r.signature })),
    async add(rotation) {
      await db.run('INSERT INTO signing_key_rotations (previous_key, next_key, at, signature) VALUES (?, ?, ?, ?)', [rotation.previousKey, rotation.nextKey, rotation.at, rotation.signature]);
    },
  };
}
