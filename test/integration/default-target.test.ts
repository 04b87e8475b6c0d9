/**
 * PICBOT_DEFAULT_TARGET: the target card of a new intake offers the runner label `npm start`
 * runs its simulated runner with, through the real server and the loopback connector.
 */
import { cardOf } from '../fakes/connector';
import { startHarness, type Harness } from './harness';

type Json = Record<string, unknown>;

/** The `value` of the card input with this id (walks the card body). */
function inputValue(card: Json | null, id: string): unknown {
  const stack: unknown[] = [card];
  while (stack.length > 0) {
    const node = stack.pop();
    if (Array.isArray(node)) stack.push(...node);
    else if (node && typeof node === 'object') {
      const o = node as Json;
      if (typeof o.type === 'string' && o.type.startsWith('Input.') && o.id === id) return o.value ?? '';
      stack.push(...Object.values(o));
    }
  }
  throw new Error(`no input ${id} on the card`);
}

describe('the target card offers PICBOT_DEFAULT_TARGET', () => {
  let h: Harness | null = null;
  afterEach(async () => {
    await h?.close();
    h = null;
  });

  it.each([
    { env: { PICBOT_DEFAULT_TARGET: 'lync-sim' }, want: 'lync-sim' },
    { env: {}, want: '' },
  ])('start with $env → runner label "$want"', async ({ env, want }) => {
    h = await startHarness({ env });
    const r = await h.say('start');
    const card = cardOf(r.calls[0]);
    expect(JSON.stringify(card)).toContain('Target deployment');
    expect(inputValue(card, 'label')).toBe(want);
  });
});
