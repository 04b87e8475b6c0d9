/**
 * Renders cards/<name>.json (an adaptivecards-templating template) with data into card JSON.
 * Templates are parsed once and cached. The cards folder is found from the package root, so this
 * works the same from dist/ (npm start) and from src/ (ts-jest).
 *
 * Every rendered card gets the local-mode note at the top when the server runs in local mode
 * (so nobody mistakes local mode for production; README, Modes); the composition
 * root sets it once with `setCardEnv`, so no view can forget it.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { GlobalSettings, Template } from 'adaptivecards-templating';
import { CodedError } from '../../shared/errors';
import type { Card } from '../turn';
import { escapeCardText } from './markdown';

export interface CardEnv {
  /** Shown at the top of every card when set (local mode). */
  localNote: string | null;
}

let defaultEnv: CardEnv = { localNote: null };

/** Sets the note every card carries from now on (called by createHandlers from the roles). */
export function setCardEnv(env: CardEnv): void {
  defaultEnv = env;
}

/** The note for local mode, saying exactly what is relaxed; null in production. */
export function localModeNote(roles: { localMode: boolean; adminsConfigured: boolean; approversConfigured: boolean }): string | null {
  if (!roles.localMode) return null;
  const relaxed = [
    roles.adminsConfigured ? null : 'every user is an admin',
    roles.approversConfigured ? null : 'every user is an approver and may approve their own plan',
  ].filter((x): x is string => x !== null);
  const what = relaxed.length > 0 ? `: ${relaxed.join('; ')}` : ' (no Bot Framework sign-in)';
  return `Local mode${what}. Not for production.`;
}

function findCardsDir(): string {
  let dir = __dirname;
  for (;;) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'cards'))) return join(dir, 'cards');
    const up = dirname(dir);
    if (up === dir) throw new CodedError('internal', `finding the cards folder: none above ${__dirname}`);
    dir = up;
  }
}

let cardsDir: string | null = null;
const templates = new Map<string, Template>();

/** The folder of the card templates. */
export function cardsFolder(): string {
  return (cardsDir ??= findCardsDir());
}

/** The names of every card template (cards/<name>.json, not the *.data.json samples). */
export function cardNames(): string[] {
  return readdirSync(cardsFolder())
    .filter((f) => f.endsWith('.json') && !f.endsWith('.data.json'))
    .map((f) => f.slice(0, -'.json'.length))
    .sort();
}

/** The raw template JSON of a card. */
export function loadTemplate(name: string): Card {
  if (!/^[a-z0-9-]+$/.test(name)) throw new CodedError('internal', `rendering card "${name}": not a card name`);
  const path = join(cardsFolder(), `${name}.json`);
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as Card;
  } catch (err) {
    throw new CodedError('internal', `loading card template ${path}: ${(err as Error).message}`, { cause: err });
  }
}

function template(name: string): Template {
  let t = templates.get(name);
  if (!t) {
    t = new Template(loadTemplate(name));
    templates.set(name, t);
  }
  return t;
}

// Data the template asks for but the view did not give is a view bug: collect the paths while
// expanding (expansion is synchronous, so one module-level list is safe) and refuse the card.
let missing: string[] | null = null;
GlobalSettings.getUndefinedFieldValueSubstitutionString = (path: string) => {
  missing?.push(path);
  return undefined;
};

/**
 * Expands cards/<name>.json with `data` as `$root`. Throws (a view bug, never user input) when the
 * template refers to data that is not there.
 */
export function renderCard(name: string, data: object, env: CardEnv = defaultEnv): Card {
  const t = template(name);
  const gaps: string[] = [];
  missing = gaps;
  let card: Card;
  try {
    card = t.expand({ $root: data }) as Card;
  } finally {
    missing = null;
  }
  if (gaps.length > 0) {
    throw new CodedError('internal', `rendering card "${name}": no data for ${[...new Set(gaps)].join(', ')}`);
  }
  if (env.localNote) {
    const body = Array.isArray(card.body) ? card.body : [];
    card.body = [localNoteBlock(env.localNote), ...body];
  }
  escapeCardText(card);
  readableColors(card);
  return card;
}

/**
 * The local-mode note: dark text on Teams' warning background (yellow text on white would be
 * unreadable, see readableColors).
 */
function localNoteBlock(note: string): Record<string, unknown> {
  return { type: 'Container', style: 'warning', items: [{ type: 'TextBlock', text: note, size: 'small', weight: 'bolder', wrap: true }] };
}

/** Text colours Teams' light theme draws below WCAG AA's 4.5:1 contrast (teams-rules.ts lists them). */
const LOW_CONTRAST = new Set(['good', 'warning']);

/**
 * Draws text in a low-contrast colour in the default colour instead. The icon and the words (✓
 * done, Warnings) carry the meaning; the colour only repeated it. One place, so no view or
 * template can bring the unreadable yellow back.
 */
function readableColors(node: unknown): void {
  if (Array.isArray(node)) {
    for (const n of node) readableColors(n);
    return;
  }
  if (typeof node !== 'object' || node === null) return;
  const n = node as Record<string, unknown>;
  if ((n.type === 'TextBlock' || n.type === 'TextRun') && typeof n.color === 'string' && LOW_CONTRAST.has(n.color.toLowerCase())) n.color = 'default';
  for (const value of Object.values(n)) if (typeof value === 'object' && value !== null) readableColors(value);
}
