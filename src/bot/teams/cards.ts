/** Card attachments and the Universal Actions invoke response, in Bot Framework's shapes. */
import { CardFactory, type Activity, type Attachment } from 'botbuilder';
import type { Card, Reply } from '../turn';

export const ADAPTIVE_CARD = 'application/vnd.microsoft.card.adaptive';

/** A message activity carrying a card or text. */
export function replyActivity(reply: Reply): Partial<Activity> {
  if ('card' in reply) return { type: 'message', attachments: [CardFactory.adaptiveCard(reply.card) as Attachment] };
  return { type: 'message', text: reply.text };
}

/** The invoke response Teams expects for adaptiveCard/action: the next card. */
export function cardInvokeResponse(card: Card): Partial<Activity> {
  return { type: 'invokeResponse', value: { status: 200, body: { statusCode: 200, type: ADAPTIVE_CARD, value: card } } };
}

/** An invoke response with an HTTP status and a JSON error body. */
export function errorInvokeResponse(status: number, code: string, message: string): Partial<Activity> {
  return { type: 'invokeResponse', value: { status, body: { error: { code, message } } } };
}

/** The short card a user sees when something broke on our side (never the error text). */
export function apologyCard(reference: string): Card {
  return {
    type: 'AdaptiveCard',
    $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
    version: '1.5',
    body: [
      { type: 'TextBlock', text: 'Sorry, something went wrong on picbot\'s side.', weight: 'Bolder', wrap: true, color: 'Attention' },
      { type: 'TextBlock', text: `Nothing you entered was lost. Try again in a moment; if it keeps happening, give your admin this reference: ${reference}`, wrap: true },
    ],
  };
}

/**
 * The short card a user sees when their turn failed because picbot's database cannot be reached
 * (docs/deploy.md, When the database is away): nothing was half-done, so trying again later is safe.
 */
export function databaseAwayCard(reference: string): Card {
  return {
    type: 'AdaptiveCard',
    $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
    version: '1.5',
    body: [
      { type: 'TextBlock', text: 'picbot cannot reach its database right now.', weight: 'Bolder', wrap: true, color: 'Attention' },
      { type: 'TextBlock', text: `Nothing was changed. Try again in a few minutes; if it keeps happening, tell your admin (reference ${reference}).`, wrap: true },
    ],
  };
}
