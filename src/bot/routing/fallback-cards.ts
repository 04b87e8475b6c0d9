/**
 * The router's own small cards, for the cases no area handles: an unknown verb or a malformed
 * invoke. Plain JSON (no template) so routing never depends on views being wired correctly.
 */
import type { Card } from '../turn';
import { escapeMarkdown } from '../views/markdown';

/** A one-message Adaptive Card 1.5 saying why an action was refused. */
export function refusalCard(title: string, reason: string): Card {
  return {
    type: 'AdaptiveCard',
    $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
    version: '1.5',
    body: [
      { type: 'TextBlock', text: escapeMarkdown(title), weight: 'Bolder', wrap: true, color: 'Attention' },
      { type: 'TextBlock', text: escapeMarkdown(reason), wrap: true },
    ],
  };
}
