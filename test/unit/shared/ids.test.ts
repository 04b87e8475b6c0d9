import { idKind, idPattern, isIdOf, newId } from '../../../src/shared/ids';

describe('ids', () => {
  it.each(['request', 'plan', 'job', 'runner'] as const)('a new %s id says what it is', (kind) => {
    const id = newId(kind);
    expect(idKind(id)).toBe(kind);
    expect(newId(kind)).not.toBe(id);
  });
  it.each(['req_', 'req_ABC', 'foo_0123456789abcdef', 'plan_0123456789abcdefg'])('%s is not one of ours', (id) => {
    expect(idKind(id)).toBeNull();
  });
});

describe('idPattern and isIdOf: the one description of each kind of id', () => {
  it.each([
    { kind: 'request', good: 'req_0123456789abcdef', bad: ['plan_0123456789abcdef', 'req_0123456789abcde', 'REQ_0123456789abcdef'] },
    { kind: 'plan', good: 'plan_0123456789abcdef', bad: ['req_0123456789abcdef', 'plan_0123456789ABCDEF', ' plan_0123456789abcdef'] },
    { kind: 'job', good: 'job_zyxwvutsrqponmlk', bad: ['job_0123456789abcdef0', 'job-0123456789abcdef'] },
    { kind: 'runner', good: 'run_0123456789abcdef', bad: ['run_', 'runner_0123456789abcdef'] },
  ] as const)('$kind ids', ({ kind, good, bad }) => {
    expect(isIdOf(kind, good)).toBe(true);
    expect(idPattern(kind).test(good)).toBe(true);
    expect(isIdOf(kind, newId(kind))).toBe(true);
    for (const b of bad) expect(isIdOf(kind, b)).toBe(false);
  });
});
