/** The signed job-signing key rotations, oldest first (see src/contracts/signing.ts, KeyRotation). */
import { z } from 'zod';
import type { KeyRotation } from '../../contracts/signing';
import type { Db } from './db';

const Row = z.object({ previous_key: z.string(), next_key: z.string(), at: z.string(), signature: z.string() });

export interface KeyRotationStore {
  list(): KeyRotation[];
  add(rotation: KeyRotation): void;
}

export function createKeyRotationStore(db: Db): KeyRotationStore {
  return {
    list: () =>
      db.prepare('SELECT previous_key, next_key, at, signature FROM signing_key_rotations ORDER BY seq').all()
        .map((raw) => Row.parse(raw))
        .map((r) => ({ previousKey: r.previous_key, nextKey: r.next_key, at: r.at, signature: r.signature })),
    add(rotation) {
      db.prepare('INSERT INTO signing_key_rotations (previous_key, next_key, at, signature) VALUES (?, ?, ?, ?)').run(rotation.previousKey, rotation.nextKey, rotation.at, rotation.signature);
    },
  };
}
