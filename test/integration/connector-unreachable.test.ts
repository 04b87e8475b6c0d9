/**
 * When the Bot Connector cannot be reached (the activity's serviceUrl is a closed loopback
 * port), a turn whose reply or apology must go through it is answered with a JSON 502 — never a
 * 500 — and the server goes on serving. botbuilder retries each send for a few seconds before
 * giving up, so these turns take seconds; they run concurrently, and each has a bounded time.
 */
import { echoArea, FAILING_VERB } from '../fakes/echo-area';
import { startHarness, type Harness } from './harness';
import { botAdded, DANA, invoke, message, personalChat } from './teams-activities';

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ areas: [echoArea] });
});
afterAll(async () => {
  await h.close();
});

// Port 1 on loopback: nothing listens there, so every connect is refused.
const CLOSED = 'http://127.0.0.1:1/';
const chat = personalChat(DANA);
const UNREACHABLE = { error: { code: 'upstream_unreachable', message: expect.stringMatching(/Bot Connector .* could not be reached; the reply was not delivered \(reference err_[0-9a-f]{10}\)/) } };

it('answers 502 upstream_unreachable when the reply or the apology cannot be delivered, 200 for an invoke, and keeps serving', async () => {
  const [reply, apology, welcome, click] = await Promise.all([
    // The handler's reply fails: no apology is attempted through the same connector.
    h.post(message(CLOSED, chat, DANA, 'echo hi')),
    // The handler throws, and the apology cannot be sent either.
    h.post(message(CLOSED, chat, DANA, 'boom')),
    h.post(botAdded(CLOSED, chat, DANA)),
    // An invoke's answer (here the apology card) is the HTTP response itself: no connector needed.
    h.post(invoke(CLOSED, chat, DANA, FAILING_VERB, {}, 'msg-1')),
  ]);
  expect(reply).toMatchObject({ status: 502, body: UNREACHABLE });
  expect(apology).toMatchObject({ status: 502, body: UNREACHABLE });
  expect(welcome).toMatchObject({ status: 502, body: UNREACHABLE });
  expect(click.status).toBe(200);
  expect(JSON.stringify(click.body)).toMatch(/err_[0-9a-f]{10}/);
  expect(JSON.stringify(click.body)).not.toMatch(/secret detail/);

  expect((await fetch(`${h.url}/healthz`)).status).toBe(200);
  // The next turn through a reachable connector is answered as usual.
  const ok = await h.say('echo again');
  expect(ok.status).toBe(200);
  expect(ok.calls).toHaveLength(1);
}, 120_000);
