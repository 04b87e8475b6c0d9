import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CMDLET_REFERENCE } from '../../../src/contracts/cmdlet-reference';
import { PROFILES, type Profile } from '../../../src/contracts/profiles';

/** docs/lync-reference.md shows the table the tests and the simulator use: it must say the same. */
describe('docs/lync-reference.md', () => {
  const doc = readFileSync(join(__dirname, '..', '..', '..', 'docs', 'lync-reference.md'), 'utf8');
  const header = doc.split('\n').find((l) => l.startsWith('| Cmdlet | Parameter |'))!;
  const profiles = header.split('|').slice(3, -1).map((c) => c.trim());
  const rows = doc.split('\n').filter((l) => /^\| \[[A-Za-z]+-Cs\w+\]\(/.test(l)).map((l) => {
    const cells = l.split('|').slice(1, -1).map((c) => c.trim());
    const [, cmdlet, url] = /^\[([^\]]+)\]\(([^)]+)\)$/.exec(cells[0])!;
    return { cmdlet, url, parameter: cells[1], marks: cells.slice(2) };
  });

  it('has one column per profile, in order', () => {
    expect(profiles).toEqual([...PROFILES]);
  });

  it('lists every cmdlet with the URL of its page, and every parameter with exactly its profiles', () => {
    const fromDoc: Record<string, { url: string; params: Record<string, Profile[]> }> = {};
    for (const r of rows) {
      const entry = (fromDoc[r.cmdlet] ??= { url: r.url, params: {} });
      expect(entry.url).toBe(r.url);
      if (r.parameter !== '(none)') entry.params[r.parameter] = PROFILES.filter((_, i) => r.marks[i] === 'yes');
    }
    const fromCode = Object.fromEntries(Object.entries(CMDLET_REFERENCE).map(([c, ref]) => [c, { url: ref.url, params: Object.fromEntries(Object.entries(ref.params).map(([p, list]) => [p, [...list]])) }]));
    expect(fromDoc).toEqual(fromCode);
    for (const ref of Object.values(CMDLET_REFERENCE)) expect(ref.url).toMatch(/^https:\/\/learn\.microsoft\.com\/powershell\/module\/skypeforbusiness\/[a-z-]+$/);
  });
});
