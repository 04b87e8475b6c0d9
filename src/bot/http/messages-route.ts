/** POST /api/messages: the Bot Framework channel posts activities here. */
import { CodedError } from '../../shared/errors';
import { InboundActivity, type MessagesEndpoint } from '../teams';
import { jsonRoute } from './json-route';
import type { HttpServer } from './server';

export function mountMessages(server: HttpServer, endpoint: MessagesEndpoint, options: { requiresToken: boolean }): void {
  server.post(
    '/api/messages',
    jsonRoute(InboundActivity, async ({ body, authorization }) => endpoint(body, authorization), {
      // Cheap refusal before reading a body nobody vouched for.
      before: async (req) => {
        if (options.requiresToken && !req.headers.authorization) throw new CodedError('unauthorized', 'a valid Bot Framework token is required');
      },
    }),
  );
}
