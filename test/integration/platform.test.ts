/**
 * The server over real HTTP in local mode: body limits and JSON errors, health, and the Teams
 * edge (messages with mentions, Action.Execute invokes updating the card in place, welcome,
 * apology on failure, proactive notifier after a restart).
 */
import { cardOf } from '../fakes/connector';
import { CLICKER_VERB, echoArea, FAILING_VERB, textCard } from '../fakes/echo-area';
import { startHarness, type Harness } from './harness';
import { ALEX, channel, DANA, groupChat, message, personalChat } from './teams-activities';
import { ALL_VERBS } from '../../src/bot/verbs';

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ areas: [echoArea] });
});
afterAll(async () => {
  await h.close();
});

const errorShape = { error: { code: expect.any(String), message: expect.any(String) } };

describe('HTTP', () => {
  it('GET /healthz answers 200', async () => {
    const res = await fetch(`${h.url}/healthz`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ok' });
  });

  it('GET /readyz answers 200 while the store answers', async () => {
    const res = await fetch(`${h.url}/readyz`);
    expect(res.status).toBe(200);
  });

  it.each([
    { name: 'malformed JSON', raw: '{"type": "message",', contentType: 'application/json', status: 400, code: 'bad_request' },
    { name: 'empty body', raw: '', contentType: 'application/json', status: 400, code: 'bad_request' },
    { name: 'text/plain', raw: 'hello', contentType: 'text/plain', status: 415, code: 'unsupported_media_type' },
    { name: 'form data', raw: 'a=1', contentType: 'application/x-www-form-urlencoded', status: 415, code: 'unsupported_media_type' },
    { name: 'JSON array', raw: '[1,2]', contentType: 'application/json', status: 400, code: 'bad_request' },
    { name: 'activity without from', raw: JSON.stringify({ type: 'message', channelId: 'msteams', serviceUrl: 'http://127.0.0.1:1/', recipient: { id: 'b' }, conversation: { id: 'c' } }), contentType: 'application/json', status: 400, code: 'bad_request' },
    { name: 'JSON with charset', raw: '{bad', contentType: 'application/json; charset=utf-8', status: 400, code: 'bad_request' },
  ])('POST /api/messages with $name → $status', async ({ raw, contentType, status, code }) => {
    const res = await h.post(null, { raw, contentType });
    expect(res.status).toBe(status);
    expect(res.body).toEqual(errorShape);
    expect((res.body as { error: { code: string } }).error.code).toBe(code);
  });

  it('names the bad field of an activity', async () => {
    const res = await h.post(null, { raw: JSON.stringify({ type: 'message', channelId: 'msteams', serviceUrl: 'http://127.0.0.1:1/', recipient: { id: 'b' }, conversation: { id: 'c' } }) });
    expect((res.body as { error: { message: string } }).error.message).toMatch(/^body\.from: /);
  });

  it.each([
    { field: 'conversation.id', patch: { conversation: { id: 'Ā' } } },
    { field: 'conversation.id', patch: { conversation: { id: 'a:1 2' } } },
    { field: 'from.id', patch: { from: { id: '29:\u0000' } } },
    { field: 'replyToId', patch: { replyToId: 'é' } },
  ])('refuses an activity whose $field could not go back into a Bot Connector URL (400)', async ({ field, patch }) => {
    const res = await h.post({ ...message('http://127.0.0.1:1/', personalChat(DANA), DANA, 'help'), ...patch });
    expect(res.status).toBe(400);
    expect((res.body as { error: { message: string } }).error.message).toMatch(new RegExp(`^body\\.${field.replace('.', '\\.')}: `));
  });

  it('answers 413 to a body over 256 KiB, and keeps serving', async () => {
    const big = JSON.stringify({ ...message('http://127.0.0.1:1/', personalChat(DANA), DANA, 'x'), text: 'x'.repeat(300 * 1024) });
    const res = await h.post(null, { raw: big });
    expect(res.status).toBe(413);
    expect(res.body).toMatchObject({ error: { code: 'payload_too_large' } });
    expect((await fetch(`${h.url}/healthz`)).status).toBe(200);
  });

  it('answers 413 to a chunked body over the limit (no Content-Length)', async () => {
    const chunk = new TextEncoder().encode('x'.repeat(64 * 1024));
    let sent = 0;
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent >= 5) return controller.close();
        sent += 1;
        controller.enqueue(chunk);
      },
    });
    const res = await fetch(`${h.url}/api/messages`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: stream, duplex: 'half' } as RequestInit);
    expect(res.status).toBe(413);
  });

  it('answers 415 to a gzip-encoded body', async () => {
    const res = await fetch(`${h.url}/api/messages`, { method: 'POST', headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' }, body: '{}' });
    expect(res.status).toBe(415);
    expect(await res.json()).toMatchObject({ error: { code: 'unsupported_media_type' } });
  });

  it.each([
    { method: 'GET', path: '/nope', status: 404 },
    { method: 'GET', path: '/api/messages', status: 405 },
    { method: 'DELETE', path: '/healthz', status: 405 },
  ])('$method $path → $status as a JSON error', async ({ method, path, status }) => {
    const res = await fetch(`${h.url}${path}`, { method });
    expect(res.status).toBe(status);
    expect(await res.json()).toEqual(errorShape);
  });
});

describe('Teams edge', () => {
  it('strips the @mention in a channel and routes the first word', async () => {
    const res = await h.say('ECHO  a   b', { conversation: channel() });
    expect(res.status).toBe(200);
    expect(res.calls).toHaveLength(1);
    expect(res.calls[0]!.activity.text).toBe('echo [a|b] in channel');
    expect(res.calls[0]!.conversationId).toBe(channel().id);
  });

  it.each([
    { name: 'personal chat', who: {}, want: 'echo [x] in personal' },
    { name: 'group chat', who: { conversation: groupChat() }, want: 'echo [x] in groupChat' },
  ])('handles a message in a $name', async ({ who, want }) => {
    const res = await h.say('echo x', who);
    expect(res.calls.map((c) => c.activity.text)).toEqual([want]);
  });

  it('sends unknown text and an empty mention to the help handler', async () => {
    expect((await h.say('what is this')).calls[0]!.activity.text).toBe('help: what is this');
    expect((await h.say('', { conversation: channel() })).calls[0]!.activity.text).toBe('help:');
  });

  it('gives a turn say() and update() of its own messages', async () => {
    const res = await h.say('card');
    expect(res.calls.map((c) => c.kind)).toEqual(['reply', 'update']);
    expect(res.calls[1]!.activityId).toBe(res.calls[0]!.activityId);
    expect(cardOf(res.calls[1])).toEqual(textCard('second'));
  });

  it('answers an Action.Execute with the next card and updates the stored message for everyone', async () => {
    const verb = ALL_VERBS[0]!;
    const res = await h.click(verb, { label: 'pool-eu' }, { replyToId: 'activity-42' });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ statusCode: 200, type: 'application/vnd.microsoft.card.adaptive' });
    expect(res.card).toEqual(textCard(`echo ${verb}`, '{"label":"pool-eu"}', `from Dana Admin (${DANA.aadObjectId})`, 'message activity-42'));
    expect(res.calls).toHaveLength(1);
    expect(res.calls[0]).toMatchObject({ kind: 'update', activityId: 'activity-42' });
    expect(cardOf(res.calls[0])).toEqual(res.card);
  });

  it('answers only the clicker when the handler says so', async () => {
    const res = await h.click(CLICKER_VERB, {}, { replyToId: 'activity-7' });
    expect(res.card).toMatchObject({ type: 'AdaptiveCard' });
    expect(res.calls).toEqual([]);
  });

  it('still answers the clicker when updating the message fails at the connector', async () => {
    h.connector.failNext(403);
    const res = await h.click(ALL_VERBS[0]!, { n: 1 }, { replyToId: 'activity-9' });
    expect(res.status).toBe(200);
    expect(res.card).toMatchObject({ type: 'AdaptiveCard' });
  });

  it.each([
    { name: 'an unknown verb', value: { action: { type: 'Action.Execute', verb: 'intake.nope', data: {} } }, want: /does not know the action "intake\.nope"/ },
    { name: 'no action at all', value: { foo: 1 }, want: /cannot read/ },
    { name: 'an Action.Submit shape', value: { action: { type: 'Action.Submit', verb: 'x' } }, want: /cannot read/ },
  ])('refuses $name with a card, not an exception', async ({ name, value, want }) => {
    const activity = { ...(await buildInvoke()), value };
    const res = await h.post(activity);
    expect(res.status).toBe(200);
    const card = (res.body as { value: { body: { text: string }[] } }).value;
    expect(card.body.map((b) => b.text).join(' ')).toMatch(want);
    // Nothing is updated; a refused button (a known invoke) also posts its refusal at the bottom.
    expect(res.calls.filter((c) => c.kind === 'update')).toEqual([]);
    expect(res.calls.filter((c) => c.kind !== 'update')).toHaveLength(name === 'an unknown verb' ? 1 : 0);
  });

  it('answers other invoke names 501 with a JSON error', async () => {
    const activity = { ...(await buildInvoke()), name: 'task/fetch' };
    const res = await h.post(activity);
    expect(res.status).toBe(501);
    expect(res.body).toMatchObject({ error: { code: 'not_implemented' } });
  });

  it('welcomes when the bot is added, and ignores other members joining', async () => {
    const res = await h.added({ conversation: channel('welcome') });
    expect(res.calls).toHaveLength(1);
    expect(cardOf(res.calls[0])).toEqual(textCard('welcome to channel'));
    const other = await h.post({ ...(await buildAdded()), membersAdded: [{ id: ALEX.teamsUserId, aadObjectId: ALEX.aadObjectId }] });
    expect(other.status).toBe(200);
    expect(other.calls).toEqual([]);
  });

  it('logs a failing command and sends a short apology card without the error text', async () => {
    const res = await h.say('boom');
    expect(res.status).toBe(200);
    expect(res.calls).toHaveLength(1);
    const text = JSON.stringify(cardOf(res.calls[0]));
    expect(text).toMatch(/Sorry, something went wrong/);
    expect(text).toMatch(/err_[0-9a-f]{10}/);
    expect(text).not.toMatch(/secret|disk full|at \//);
  });

  it('answers a failing action with the apology card as the invoke response', async () => {
    const res = await h.click(FAILING_VERB, {}, { replyToId: 'activity-1' });
    expect(res.status).toBe(200);
    expect(JSON.stringify(res.card)).toMatch(/Sorry, something went wrong/);
    expect(JSON.stringify(res.body)).not.toMatch(/secret|locked/);
    expect(res.calls).toEqual([]);
  });

  it('learns Entra object id → Teams user id and roles see the actor', async () => {
    const res = await h.say('whoami', { user: ALEX });
    expect(res.calls[0]!.activity.text).toBe(`${ALEX.aadObjectId} ${ALEX.teamsUserId} admin=true`);
    const userIds = h.server.deps.userIds;
    expect(await userIds.teamsUserIds([ALEX.aadObjectId.toUpperCase(), '00000000-0000-0000-0000-000000000000'])).toEqual([ALEX.teamsUserId]);
  });

  it('sends and updates proactively through the stored conversation reference, after a restart', async () => {
    const conversation = channel('proactive');
    await h.say('echo hi', { conversation });
    await h.restart();
    const cards = h.server.deps.cards;
    const id = await cards.send(conversation.id, textCard('proactive'));
    cards.update({ conversationId: conversation.id, activityId: id }, async () => textCard('proactive 2'));
    // botbuilder posts proactive messages as replies to the continuation activity's id.
    const sent = await h.connector.waitFor((c) => c.activityId === id && c.kind !== 'update');
    const updated = await h.connector.waitFor((c) => c.activityId === id && c.kind === 'update');
    expect(sent.conversationId).toBe(conversation.id);
    expect(cardOf(updated)).toEqual(textCard('proactive 2'));
    await expect(cards.send('19:never-seen@thread.tacv2', textCard('x'))).rejects.toMatchObject({ code: 'not_found' });
  });
});

describe('readiness', () => {
  it('GET /readyz answers 503 when the store is gone', async () => {
    const local = await startHarness({ areas: [echoArea] });
    try {
      await local.server.deps.db.close();
      const res = await fetch(`${local.url}/readyz`);
      expect(res.status).toBe(503);
      expect(await res.json()).toMatchObject({ error: { code: 'store_failed' } });
      expect((await fetch(`${local.url}/healthz`)).status).toBe(200);
    } finally {
      await local.close();
    }
  });
});

async function buildInvoke() {
  const { invoke } = await import('./teams-activities');
  return invoke(h.connector.serviceUrl, personalChat(DANA), DANA, ALL_VERBS[0]!, {}, 'activity-1');
}

async function buildAdded() {
  const { botAdded } = await import('./teams-activities');
  return botAdded(h.connector.serviceUrl, groupChat(), DANA);
}
