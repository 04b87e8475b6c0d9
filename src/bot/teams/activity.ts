/**
 * The inbound activity as picbot reads it: the fields we rely on are checked once here; the rest
 * passes through untouched for botbuilder. A body that fails this is a 400, never a turn.
 */
import { z } from 'zod';

/**
 * An id the Bot Connector puts in a URL path (a conversation, a user, the message replied to).
 * Teams' ids are printable ASCII; anything else could not be sent back, so it is refused here.
 */
const PathId = z.string().min(1).max(1024).regex(/^[\x21-\x7e]+$/, 'must be printable ASCII without spaces');

const Account = z.looseObject({
  id: PathId,
  name: z.string().max(1024).optional(),
  aadObjectId: z.string().max(128).optional(),
  role: z.string().optional(),
});

const Conversation = z.looseObject({
  id: PathId,
  conversationType: z.string().max(64).optional(),
  tenantId: z.string().max(128).optional(),
  isGroup: z.boolean().optional(),
  name: z.string().optional(),
});

export const InboundActivity = z.looseObject({
  type: z.string().min(1).max(64),
  id: z.string().max(1024).optional(),
  channelId: z.string().min(1).max(64),
  serviceUrl: z.url(),
  from: Account,
  recipient: Account,
  conversation: Conversation,
  text: z.string().max(64 * 1024).optional(),
  name: z.string().max(256).optional(),
  value: z.unknown().optional(),
  replyToId: PathId.optional(),
  membersAdded: z.array(Account).optional(),
  entities: z.array(z.looseObject({ type: z.string() })).optional(),
  channelData: z.looseObject({}).optional(),
});
export type InboundActivity = z.infer<typeof InboundActivity>;

/** The `value` of an `adaptiveCard/action` invoke (Universal Actions, Action.Execute). */
export const ExecuteValue = z.looseObject({
  action: z.looseObject({
    type: z.literal('Action.Execute'),
    verb: z.string().min(1).max(256),
    data: z.unknown().optional(),
  }),
  trigger: z.string().optional(),
});
