/**
 * Property tests over the chat boundary, over real loopback HTTP into the real server (every area,
 * SQLite file, fake Bot Connector): generated activities, and generated card data for every verb.
 * Whatever arrives: no 5xx, no crash (the server still answers), no unhandled rejection, and an
 * activity refused as malformed (4xx) changes nothing in the database.
 * 1,500 + 2,000 generated cases per run (see test/fuzz/README.md for the whole budget).
 */
import { fc, test } from '@fast-check/jest';
import Database from 'better-sqlite3';
import { ALL_VERBS } from '../../src/bot/verbs';
import { startHarness, type Harness } from '../integration/harness';
import { ALEX, DANA, invoke, message, personalChat } from '../integration/teams-activities';

jest.setTimeout(240_000);

let h: Harness;
const rejections: unknown[] = [];
const onRejection = (reason: unknown) => void rejections.push(reason);

beforeAll(async () => {
  process.on('unhandledRejection', onRejection);
  h = await startHarness({ env: { PICBOT_ADMINS: DANA.aadObjectId, PICBOT_APPROVERS: ALEX.aadObjectId } });
});
afterAll(async () => {
  await h?.close();
  process.off('unhandledRejection', onRejection);
});

/** Row counts of every table, as one comparable value. */
function rowCounts(): string {
  const db = new Database(h.dbPath, { readonly: true });
  try {
    const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").all() as { name: string }[];
    return tables.map((t) => `${t.name}=${(db.prepare(`SELECT COUNT(*) AS n FROM "${t.name}"`).get() as { n: number }).n}`).join(',');
  } finally {
    db.close();
  }
}

/** JSON values of every kind, with the strings a chat user or a broken client sends. */
const text = fc.oneof(fc.string(), fc.string({ unit: 'grapheme' }), fc.constantFrom('', ' ', '<at>picbot</at>', 'start', 'help', 'runner token pool-eu', 'plans', 'status plan_0000000000000001', '__proto__', 'null', '\u0000', 'a'.repeat(5000)));
const json = fc.letrec((tie) => ({
  value: fc.oneof({ depthSize: 'small', withCrossShrink: true }, text, fc.integer(), fc.double(), fc.boolean(), fc.constant(null), tie('array'), tie('object')),
  array: fc.array(tie('value'), { maxLength: 4 }),
  object: fc.dictionary(fc.oneof(fc.string({ maxLength: 12 }), fc.constantFrom('__proto__', 'constructor', 'verb', 'data', 'requestId', 'planId', 'draftId', 'cardHash', 'label')), tie('value'), { maxKeys: 5 }),
})).value;

/** An activity: a real Teams one with some fields replaced by anything, or dropped. */
const activity = fc.record({
  base: fc.constantFrom('message', 'invoke'),
  type: fc.option(fc.oneof(fc.constantFrom('message', 'invoke', 'conversationUpdate', 'event', 'typing', 'installationUpdate'), fc.string()), { nil: undefined }),
  text: fc.option(fc.oneof(text, json), { nil: undefined }),
  name: fc.option(fc.oneof(fc.constantFrom('adaptiveCard/action', 'composeExtension/query', 'signin/verifyState'), text), { nil: undefined }),
  value: fc.option(json, { nil: undefined }),
  from: fc.option(fc.oneof(json, fc.record({ id: text, aadObjectId: fc.option(text, { nil: undefined }), name: fc.option(text, { nil: undefined }) })), { nil: undefined }),
  conversation: fc.option(fc.oneof(json, fc.record({ id: text, conversationType: fc.option(text, { nil: undefined }), tenantId: fc.option(text, { nil: undefined }) })), { nil: undefined }),
  channelId: fc.option(fc.oneof(fc.constantFrom('msteams', 'webchat', 'directline', 'emulator'), text), { nil: undefined }),
  channelData: fc.option(json, { nil: undefined }),
  entities: fc.option(json, { nil: undefined }),
  membersAdded: fc.option(json, { nil: undefined }),
  replyToId: fc.option(fc.oneof(text, json), { nil: undefined }),
  drop: fc.subarray(['from', 'recipient', 'conversation', 'serviceUrl', 'channelId', 'type']),
});

describe('the chat boundary under generated input', () => {
  test.prop([activity], { numRuns: 1500 })('an activity: never a 5xx, and a refused one changes nothing', async (a) => {
    const start = a.base === 'message'
      ? message(h.connector.serviceUrl, personalChat(DANA), DANA, 'help')
      : invoke(h.connector.serviceUrl, personalChat(DANA), DANA, 'plan.status', {}, null);
    const body: Record<string, unknown> = { ...start };
    for (const [key, value] of Object.entries(a)) if (key !== 'base' && key !== 'drop' && value !== undefined) body[key] = value;
    for (const key of a.drop) delete body[key];
    const before = rowCounts();
    const res = await h.post(body);
    expect(res.status).toBeLessThan(500);
    if (res.status >= 400) {
      expect(res.body).toEqual({ error: { code: expect.any(String), message: expect.any(String) } });
      expect(rowCounts()).toBe(before);
    }
  });

  test.prop([fc.constantFrom(...ALL_VERBS), json, fc.constantFrom(DANA, ALEX)], { numRuns: 2000 })('card data of every verb: never a 5xx, always a card', async (verb, data, user) => {
    const res = await h.post(invoke(h.connector.serviceUrl, personalChat(user), user, verb, data, 'f:1700000000000'));
    expect(res.status).toBe(200);
    expect((res.body as { value?: { type?: string } } | null)?.value?.type).toBe('AdaptiveCard');
  });

  it('is still serving, and nothing was rejected unhandled', async () => {
    expect((await fetch(`${h.url}/healthz`)).status).toBe(200);
    expect(rejections).toEqual([]);
  });
});
