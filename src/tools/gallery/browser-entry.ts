/**
 * The card gallery's page script, bundled by esbuild for Chromium: parses a card with the real
 * adaptivecards renderer targeting version 1.5, collects every parse and validation event, and
 * renders it into #card. Runs in the browser only; Node never loads this file.
 */
import { AdaptiveCard, HostConfig, SerializationContext, ValidationEvent, ValidationPhase, Version } from 'adaptivecards';
import MarkdownIt from 'markdown-it';
import { TEAMS_LIGHT_HOST_CONFIG } from './teams-host-config';

// Card text is markdown to Teams and to Agents Playground; the renderer draws it raw unless given a
// processor, so the gallery gives it markdown-it, as the renderer's own docs suggest.
const markdown = new MarkdownIt();
AdaptiveCard.onProcessMarkdown = (text, result) => {
  result.outputHtml = markdown.render(text);
  result.didProcess = true;
};

/** One problem the renderer reported. */
export interface RenderEvent {
  phase: string;
  event: string;
  message: string;
}

export interface RenderOutcome {
  events: RenderEvent[];
  rendered: boolean;
}

// The page has a DOM; this program is type-checked without lib.dom, so declare the little it uses.
declare const document: { getElementById(id: string): { replaceChildren(...nodes: unknown[]): void; className: string } | null };
declare const window: { picbotGallery?: { render(card: unknown, fullWidth: boolean): RenderOutcome } };

function describe(e: { phase: number; event: number; message: string }): RenderEvent {
  return { phase: ValidationPhase[e.phase] ?? String(e.phase), event: ValidationEvent[e.event] ?? String(e.event), message: e.message };
}

function render(json: unknown, fullWidth: boolean): RenderOutcome {
  const card = new AdaptiveCard();
  card.hostConfig = new HostConfig(TEAMS_LIGHT_HOST_CONFIG);
  const context = new SerializationContext(new Version(1, 5));
  card.parse(json, context);
  const events: RenderEvent[] = [];
  for (let i = 0; i < context.eventCount; i++) events.push(describe(context.getEventAt(i)));
  for (const e of card.validateProperties().validationEvents) events.push(describe(e));
  const element = card.render();
  const target = document.getElementById('card');
  if (!target) throw new Error('gallery page has no #card element');
  target.className = fullWidth ? 'full' : '';
  target.replaceChildren(...(element ? [element] : []));
  return { events, rendered: element !== undefined };
}

window.picbotGallery = { render };
