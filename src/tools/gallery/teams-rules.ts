/**
 * What Teams (Adaptive Cards 1.5 for bots) and picbot's router accept, as explicit rules checked on
 * an expanded card. The renderer and the JSON schema accept more than Teams shows correctly; each
 * rule here names a feature that would break or silently degrade in a Teams chat. docs/cards/README.md
 * lists the same rules for card authors.
 */

/** Element and action types a picbot card must not use, with the reason shown to the author. */
export const DENIED_TYPES: Readonly<Record<string, string>> = {
  Media: 'Teams does not play Media elements in bot cards',
  Carousel: 'Carousel is Adaptive Cards 1.6; Teams bots get 1.5',
  'Action.Submit': 'picbot routes only Action.Execute (adaptiveCard/action invokes); a Submit would arrive as a message nobody handles',
  'Action.Http': 'Action.Http is an Outlook actionable-message action; Teams ignores it',
  'Action.InvokeAddInCommand': 'Action.InvokeAddInCommand is Outlook-only',
};

/** The highest card version Teams renders for bots. */
export const MAX_VERSION = '1.5';
/** Teams refuses messages over about 28 KB; a card must leave room for the activity around it. */
export const MAX_CARD_BYTES = 28 * 1024;
/** Teams refreshes a card automatically for at most 60 listed users. */
export const MAX_REFRESH_USERS = 60;

/**
 * Text colours of Teams' light theme on a white card, as Microsoft 365 Agents Playground ships
 * them in its host config; WCAG 2.x AA asks 4.5:1 for text
 * (https://www.w3.org/TR/WCAG21/#contrast-minimum).
 */
export const TEAMS_LIGHT_TEXT: Readonly<Record<string, string>> = {
  default: '#252424',
  dark: '#252424',
  accent: '#6264a7',
  good: '#92c353',
  warning: '#f8d22a',
  attention: '#c4314b',
};
export const MIN_TEXT_CONTRAST = 4.5;

function luminance(hex: string): number {
  const [r, g, b] = [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16) / 255).map((c) => (c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4));
  return 0.2126 * r! + 0.7152 * g! + 0.0722 * b!;
}

/** The WCAG contrast ratio of two #rrggbb colours. */
export function contrastRatio(a: string, b: string): number {
  const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x);
  return (hi! + 0.05) / (lo! + 0.05);
}

type Json = Record<string, unknown>;

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Calls visit for every object in the card that has a string `type`, with its JSON path. */
function walk(value: unknown, path: string, visit: (node: Json, path: string) => void): void {
  if (Array.isArray(value)) {
    value.forEach((v, i) => walk(v, `${path}[${i}]`, visit));
    return;
  }
  if (!isObject(value)) return;
  if (typeof value.type === 'string') visit(value, path);
  for (const [k, v] of Object.entries(value)) walk(v, `${path}.${k}`, visit);
}

function versionAbove(version: string, max: string): boolean {
  const [a = 0, b = 0] = version.split('.').map(Number);
  const [c = 0, d = 0] = max.split('.').map(Number);
  return a > c || (a === c && b > d);
}

function checkUrl(url: unknown, allowDataImage: boolean): string | null {
  if (typeof url !== 'string') return 'has no URL';
  if (allowDataImage && /^data:image\/(png|jpeg|gif);base64,/i.test(url)) return null;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return `has a URL that is not absolute: ${url}`;
  }
  return parsed.protocol === 'https:' ? null : `uses ${parsed.protocol} (Teams opens and loads https: only${allowDataImage ? ' and data:image' : ''}): ${url}`;
}

/** Every Teams/picbot rule the expanded card breaks, as "<path>: <reason>" lines; empty when none. */
export function checkTeamsSupport(card: unknown): string[] {
  const problems: string[] = [];
  if (!isObject(card) || card.type !== 'AdaptiveCard') return ['$: not an AdaptiveCard'];

  if (typeof card.version !== 'string' || !/^1\.\d$/.test(card.version)) problems.push('$.version: must be "1.0" … "1.5"');
  else if (versionAbove(card.version, MAX_VERSION)) problems.push(`$.version: ${card.version} is above ${MAX_VERSION}, the highest Teams renders for bots`);

  const bytes = Buffer.byteLength(JSON.stringify(card));
  if (bytes > MAX_CARD_BYTES) problems.push(`$: the card is ${bytes} bytes; Teams messages must stay under ${MAX_CARD_BYTES}`);

  if (card.msteams !== undefined) {
    const ms = card.msteams;
    if (!isObject(ms) || Object.keys(ms).some((k) => k !== 'width' && k !== 'entities') || (ms.width !== undefined && ms.width !== 'Full')) {
      problems.push('$.msteams: only {"width": "Full"} and mention "entities" are Teams extensions');
    }
  }

  if (card.refresh !== undefined) {
    const refresh = isObject(card.refresh) ? card.refresh : {};
    if (!isObject(refresh.action) || refresh.action.type !== 'Action.Execute') problems.push('$.refresh.action: must be an Action.Execute');
    if (!Array.isArray(refresh.userIds)) {
      problems.push('$.refresh.userIds: required, or Teams refreshes for nobody in chats over 60 members and for everyone in smaller ones');
    } else if (refresh.userIds.length > MAX_REFRESH_USERS) {
      problems.push(`$.refresh.userIds: ${refresh.userIds.length} users; Teams refreshes automatically for at most ${MAX_REFRESH_USERS}`);
    }
  }

  walk(card, '$', (node, path) => {
    const type = node.type as string;
    const denied = DENIED_TYPES[type];
    if (denied) problems.push(`${path}: ${type}: ${denied}`);
    if (type === 'Action.Execute' && (typeof node.verb !== 'string' || node.verb.trim() === '')) {
      problems.push(`${path}: Action.Execute without a verb cannot be routed`);
    }
    if (type === 'Action.OpenUrl') {
      const bad = checkUrl(node.url, false);
      if (bad) problems.push(`${path}: Action.OpenUrl ${bad}`);
    }
    if (type === 'CodeBlock' && !isObject(node.fallback)) {
      problems.push(`${path}: CodeBlock is a Teams element that other clients (Agents Playground, Outlook) do not know: give it a fallback element`);
    }
    if ((type === 'TextBlock' || type === 'TextRun') && typeof node.color === 'string') {
      const fg = TEAMS_LIGHT_TEXT[node.color.toLowerCase()];
      const ratio = fg ? contrastRatio(fg, '#ffffff') : Infinity;
      if (ratio < MIN_TEXT_CONTRAST) problems.push(`${path}: ${type} color ${node.color} is ${ratio.toFixed(1)}:1 on Teams' light theme, below WCAG AA's ${MIN_TEXT_CONTRAST}:1`);
    }
    if (type === 'Image') {
      const bad = checkUrl(node.url, true);
      if (bad) problems.push(`${path}: Image ${bad}`);
    }
    if (node.backgroundImage !== undefined) {
      const bad = checkUrl(isObject(node.backgroundImage) ? node.backgroundImage.url : node.backgroundImage, true);
      if (bad) problems.push(`${path}.backgroundImage: ${bad}`);
    }
  });
  return problems;
}
