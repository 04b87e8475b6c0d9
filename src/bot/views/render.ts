/**
 * Renders cards/<name>.json (an adaptivecards-templating template) with data into card JSON.
 * Templates are read and parsed once, when this module loads. The cards folder is found from the
 * package root, so this works the same from dist/ (npm start) and from src/ (ts-jest).
 *
 * Every rendered card gets the local-mode note at the top when the server runs in local mode
 * (so nobody mistakes local mode for production; README, Modes). The composition root runs
 * each server inside `withCardEnv` (src/bot/compose.ts), so no view can forget the note, and two
 * servers in one process (the tests) each keep their own.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
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

const NO_NOTE: CardEnv = { localNote: null };

/** The card env of the server whose work is running (an async scope, not a global). */
const scope = new AsyncLocalStorage<CardEnv>();

/** Runs `work`, and everything it starts, with `env` for every card it renders. */
export function withCardEnv<T>(env: CardEnv, work: () => T): T {
  return scope.run(env, work);
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

const CARDS_DIR = findCardsDir();

/** The folder of the card templates. */
export function cardsFolder(): string {
  return CARDS_DIR;
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

/** Every template, parsed once. */
const TEMPLATES: ReadonlyMap<string, Template> = new Map(cardNames().map((name) => [name, new Template(loadTemplate(name))]));

function template(name: string): Template {
  // An unknown name fails in loadTemplate with the reason (not a card name, or no such file).
  return TEMPLATES.get(name) ?? new Template(loadTemplate(name));
}

/**
 * Expands cards/<name>.json with `data` as `$root`. Throws (a view bug, never user input) when the
 * template refers to data that is not there.
 */
export function renderCard(name: string, data: object, env: CardEnv = scope.getStore() ?? NO_NOTE): Card {
  const t = template(name);
  // Data the template asks for but the view did not give is a view bug: collect the paths while
  // expanding and refuse the card. The hook is the library's own global; expansion is
  // synchronous, so it is set and cleared around this one expansion.
  const gaps: string[] = [];
  GlobalSettings.getUndefinedFieldValueSubstitutionString = (path: string) => {
    gaps.push(path);
    return undefined;
  };
  let card: Card;
  try {
    card = t.expand({ $root: data }) as Card;
  } finally {
    GlobalSettings.getUndefinedFieldValueSubstitutionString = undefined;
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
const LOW_CONTRAST: ReadonlySet<string> = new Set(['good', 'warning']);

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
