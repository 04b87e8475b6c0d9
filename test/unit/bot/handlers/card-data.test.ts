import { z } from 'zod';
import { parseDateCard, parseDraftRef } from '../../../../src/core/card-refs';
import { formReader, readCardData } from '../../../../src/bot/handlers/card-data';

describe('readCardData', () => {
  const Ref = z.object({ planId: z.string().regex(/^plan_[a-z0-9]+$/, 'not a plan id') }).loose();

  it('a zod schema: its output, extra fields kept when the schema is lenient', () => {
    expect(readCardData(Ref, { planId: 'plan_abc', other: 1 })).toEqual({ ok: true, value: { planId: 'plan_abc', other: 1 } });
  });

  it('a zod schema: the first problem, with the field it is in', () => {
    expect(readCardData(Ref, { planId: 'x' })).toEqual({ ok: false, reason: 'planId: not a plan id' });
    expect(readCardData(z.string(), 5)).toEqual({ ok: false, reason: expect.stringMatching(/^data: /) });
  });

  it('a strict reader: its answer unchanged (an extra field is refused)', () => {
    const draftId = 'req_0123456789abcdef';
    expect(readCardData(parseDraftRef, { draftId })).toEqual({ ok: true, value: { draftId } });
    const extra = readCardData(parseDraftRef, { draftId, other: 'x' });
    expect(extra.ok).toBe(false);
    expect(extra).toEqual(parseDraftRef({ draftId, other: 'x' }));
  });

  it('a form parser: its refusal is the refusal; field errors are the value', () => {
    const read = formReader((raw) => parseDateCard(raw, 'submittedOn', '2026-01-10'));
    expect(readCardData(read, 'not an object')).toEqual({ ok: false, reason: expect.any(String) });
    const data = { requestId: 'req_0123456789abcdef', submittedOn: '2026-02-01', activeOn: '' };
    const r = readCardData(read, data);
    expect(r.ok && r.value.kind).toBe('invalid');
    expect(readCardData(read, { ...data, submittedOn: '2026-01-09' })).toEqual({ ok: true, value: { kind: 'accepted', requestId: data.requestId, date: '2026-01-09' } });
  });
});
