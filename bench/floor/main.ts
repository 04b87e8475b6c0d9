/**
 * The floor: an echo bot on exactly picbot's stack (botbuilder's CloudAdapter, restify,
 * adaptivecards-templating) with no state, so the benchmark can compare every picbot figure with
 * the lowest cost that stack allows, measured in the same run. It answers:
 * - a message: the text echoed back through the Bot Connector (the activity's serviceUrl);
 * - an `adaptiveCard/action` invoke with verb `static`: a card expanded once at start;
 * - the same invoke with verb `templated`: the same template (parsed once) expanded on every call.
 * The card is picbot's own options card (cards/intake-options.json with its sample data), so the
 * templating work is the same size as an intake step's. `GET /healthz` answers `{"status":"ok"}`.
 *
 * Like picbot in local mode it checks no Bot Framework token and binds 127.0.0.1 only.
 * Env: PORT (default 0: a free port). Prints one JSON line on stderr when listening:
 * `{"msg":"floor listening","url":"http://127.0.0.1:PORT"}`.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import restify from 'restify';
import {
  ActivityTypes,
  CloudAdapter,
  ConfigurationBotFrameworkAuthentication,
  ConfigurationServiceClientCredentialFactory,
  type TurnContext,
} from 'botbuilder';
import { Template } from 'adaptivecards-templating';

const CARDS = join(__dirname, '..', '..', '..', 'cards');
const CARD_TYPE = 'application/vnd.microsoft.card.adaptive';

function main(): void {
  // Parsed once, like picbot's cached templates: what differs per call is the expansion itself.
  const template = new Template(JSON.parse(readFileSync(join(CARDS, 'intake-options.json'), 'utf8')) as object);
  const data = JSON.parse(readFileSync(join(CARDS, 'intake-options.data.json'), 'utf8')) as object;
  const expand = () => template.expand({ $root: data }) as object;
  const staticCard = expand();

  const adapter = new CloudAdapter(new ConfigurationBotFrameworkAuthentication({}, new ConfigurationServiceClientCredentialFactory({})));
  adapter.onTurnError = async (context, error) => {
    process.stderr.write(`${JSON.stringify({ msg: 'floor turn failed', err: error.message })}\n`);
    await context.sendActivity('The floor failed this turn.');
  };

  async function logic(context: TurnContext): Promise<void> {
    const activity = context.activity;
    if (activity.type === ActivityTypes.Message) {
      await context.sendActivity(`echo: ${activity.text ?? ''}`);
      return;
    }
    if (activity.type === ActivityTypes.Invoke && activity.name === 'adaptiveCard/action') {
      const verb = (activity.value as { action?: { verb?: string } } | undefined)?.action?.verb;
      const card = verb === 'templated' ? expand() : staticCard;
      await context.sendActivity({ type: ActivityTypes.InvokeResponse, value: { status: 200, body: { statusCode: 200, type: CARD_TYPE, value: card } } });
    }
  }

  const server = restify.createServer({ name: 'picbot-bench-floor' });
  server.use(restify.plugins.bodyParser());
  server.post('/api/messages', async (req, res) => {
    await adapter.process(req, res, logic);
  });
  server.get('/healthz', (_req, res, next) => {
    res.send(200, { status: 'ok' });
    next();
  });
  server.listen(Number(process.env.PORT ?? '0'), '127.0.0.1', () => {
    const address = server.address();
    process.stderr.write(`${JSON.stringify({ msg: 'floor listening', url: `http://127.0.0.1:${address.port}` })}\n`);
  });
  const stop = () => server.close(() => process.exit(0));
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

main();
