/**
 * The server's signing key as this runner pins it, and how the pin moves when the server rotates
 * its key (picbot keys rotate): the runner asks for the rotations and follows only those signed
 * by the key it already trusts, one after the other, so a server that lost its database to an
 * attacker still cannot make the runner trust a key of theirs. Keys left behind are retired: a
 * job signed with one is refused. The new pin is saved in the credentials file.
 */
import { verifyRotation, type KeyRotation } from '../contracts/signing';
import type { Logger } from '../shared/logger';
import { writeCredentials, type RunnerCredentials } from './credentials';

export interface PinnedKeys {
  current(): string;
  retired(): string[];
  /** Follows the server's signed rotations from the pinned key; true when the pin moved. */
  refresh(): Promise<boolean>;
}

const same = (a: string, b: string) => a.trim() === b.trim();

/** The key reached from `pinned` through rotations each signed by the key before it, and the keys passed. */
export function followRotations(pinned: string, rotations: KeyRotation[]): { key: string; passed: string[] } {
  let key = pinned;
  const passed: string[] = [];
  for (;;) {
    const next = rotations.find((r) => same(r.previousKey, key) && verifyRotation(r) && !passed.some((p) => same(p, r.nextKey)));
    if (!next) return { key, passed };
    passed.push(key);
    key = next.nextKey;
  }
}

export function createPinnedKeys(options: {
  credentials: RunnerCredentials;
  /** Where the credentials are saved (null: not saved, tests). */
  path: string | null;
  fetchRotations: () => Promise<KeyRotation[]>;
  logger: Logger;
}): PinnedKeys {
  let credentials = options.credentials;
  return {
    current: () => credentials.serverKey,
    retired: () => credentials.retiredKeys ?? [],
    async refresh() {
      let rotations: KeyRotation[];
      try {
        rotations = await options.fetchRotations();
      } catch (err) {
        options.logger.warn({ err: (err as Error).message }, 'reading the server\'s key rotations failed; keeping the pinned key');
        return false;
      }
      const { key, passed } = followRotations(credentials.serverKey, rotations);
      if (passed.length === 0) return false;
      credentials = { ...credentials, serverKey: key, retiredKeys: [...(credentials.retiredKeys ?? []), ...passed] };
      if (options.path) writeCredentials(options.path, credentials);
      options.logger.warn({ rotations: passed.length }, 'the server rotated its signing key: pinned the new key (signed by the old one); jobs signed with the old key are refused from now on');
      return true;
    },
  };
}
