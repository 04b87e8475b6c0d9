import { idKind, newId } from '../../../src/shared/ids';

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
