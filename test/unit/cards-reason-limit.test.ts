import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { MAX_REASON, ReasonText } from '../../src/core/approval-policy';

/** The reason fields on the cards allow exactly what the server accepts: one limit, MAX_REASON. */
describe('the reason limit', () => {
  const reasonInput = (card: string) => {
    const text = readFileSync(join(__dirname, '..', '..', 'cards', card), 'utf8');
    const found: { maxLength?: number }[] = [];
    JSON.parse(text, (key, value: unknown) => {
      if (value && typeof value === 'object' && (value as { id?: unknown }).id === 'reason') found.push(value as { maxLength?: number });
      return value;
    });
    return found;
  };

  it.each(['approval.json', 'drift.json'])('cards/%s: the reason field holds at most MAX_REASON characters', (card) => {
    const inputs = reasonInput(card);
    expect(inputs).toHaveLength(1);
    expect(inputs[0]?.maxLength).toBe(MAX_REASON);
  });

  it('is 500 characters, and the card data schema refuses one more with a message that says so', () => {
    expect(MAX_REASON).toBe(500);
    expect(ReasonText.safeParse('x'.repeat(MAX_REASON)).success).toBe(true);
    const over = ReasonText.safeParse('x'.repeat(MAX_REASON + 1));
    expect(over.success).toBe(false);
    expect(over.error?.issues[0]?.message).toBe('the reason is too long (500 characters at most)');
  });
});
