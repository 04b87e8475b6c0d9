/**
 * Every card template in cards/ against the official Adaptive Cards 1.5 JSON schema (vendored in
 * test/fixtures/adaptive-cards/), both as a template and as expanded with its sample data, and
 * every Action.Execute verb against the registered verbs in src/bot/verbs.ts (and the reverse).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Ajv from 'ajv';
import { ALL_VERBS, isVerb } from '../../src/bot/verbs';
import { renderCard } from '../../src/bot/views/render';
import { checkTeamsSupport } from '../../src/tools/gallery/teams-rules';
import { listTemplates } from '../../src/tools/gallery/templates';
import { unboundPaths } from '../../src/tools/gallery/unbound';

const CARDS = join(__dirname, '..', '..', 'cards');
const FIXTURES = join(__dirname, '..', 'fixtures', 'adaptive-cards');

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

const WHOLE_EXPRESSION = '^\\$\\{[\\s\\S]*\\}$';
const BINDING = 'a whole template expression, bound at expansion';

/**
 * The official schema, and for templates the same schema where any property may instead hold one
 * whole "${…}" expression: the engine replaces such a value by the data's own value and type, so it
 * can only be judged after expansion, which the sample check does with the untouched schema.
 * Literal values, and strings that merely contain an expression, are checked as they are.
 */
function loadSchema(forTemplates: boolean): Validator {
  const { id, ...schema } = JSON.parse(readFileSync(join(FIXTURES, 'adaptive-card-1.5.schema.json'), 'utf8')) as Json;
  if (forTemplates) {
    for (const definition of Object.values(schema.definitions as Record<string, Json>)) {
      const branches = [definition, ...((definition.anyOf as Json[] | undefined) ?? [])];
      for (const branch of branches) {
        const properties = branch.properties as Record<string, Json> | undefined;
        for (const [name, property] of Object.entries(properties ?? {})) {
          if (Object.keys(property).length > 0) properties![name] = { anyOf: [property, { $comment: BINDING, type: 'string', pattern: WHOLE_EXPRESSION }] };
        }
      }
    }
  }
  const ajv = new Ajv({ allErrors: true, strict: false, verbose: true });
  ajv.addMetaSchema(JSON.parse(readFileSync(require.resolve('ajv/dist/refs/json-schema-draft-06.json'), 'utf8')));
  // A URL that contains an expression is only known after expansion; the sample check sees it whole.
  const bound = (check: (s: string) => boolean) => (s: string) => (forTemplates && s.includes('${')) || check(s);
  ajv.addFormat('uri', { type: 'string', validate: bound((s) => URL.canParse(s)) });
  ajv.addFormat('uri-reference', { type: 'string', validate: bound((s) => URL.canParse(s, 'https://base.invalid/')) });
  ajv.addSchema({ ...schema, $id: id as string });
  return { ajv, id: id as string, definitions: new Set(Object.keys(schema.definitions as Json)) };
}
const templateValidator = loadSchema(true);
const cardValidator = loadSchema(false);

/** A template as the schema sees it: the templating directives $when and $data removed. */
function withoutDirectives(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(withoutDirectives);
  if (!isObject(node)) return node;
  const out: Json = {};
  for (const [key, value] of Object.entries(node)) {
    if (key !== '$when' && key !== '$data') out[key] = withoutDirectives(value);
  }
  return out;
}

/**
 * The card as a 1.5 client sees it: without Teams' root `msteams` extension, and with each of
 * Teams' CodeBlock elements replaced by its fallback (teams-rules.ts requires one), which the
 * 1.5 schema does not list.
 */
function withoutTeamsExtension(card: unknown): unknown {
  if (!isObject(card)) return card;
  const { msteams: _msteams, ...rest } = card;
  const fallbacks = (node: unknown): unknown => {
    if (Array.isArray(node)) return node.map(fallbacks);
    if (!isObject(node)) return node;
    if (node.type === 'CodeBlock' && isObject(node.fallback)) return fallbacks(node.fallback);
    return Object.fromEntries(Object.entries(node).map(([k, v]) => [k, fallbacks(v)]));
  };
  return fallbacks(rest);
}

interface Validator {
  ajv: Ajv;
  id: string;
  definitions: Set<string>;
}

function typeOf(node: unknown): string | undefined {
  return isObject(node) && typeof node.type === 'string' ? node.type : undefined;
}

/** The errors of one typed object itself, not of the typed objects inside it (they report their own). */
function localErrors(v: Validator, node: Json, path: string, lines: string[]): void {
  const validate = v.ajv.getSchema(`${v.id}#/definitions/${node.type as string}`)!;
  if (validate(node)) return;
  for (const e of validate.errors ?? []) {
    // anyOf only summarises the branch errors listed anyway; the binding branch failing is expected.
    if (e.keyword === 'anyOf' || (e.parentSchema as Json | undefined)?.$comment === BINDING) continue;
    const steps = e.instancePath.split('/').slice(1);
    let inner: unknown = node;
    let nested = false;
    for (const step of steps) {
      inner = isObject(inner) || Array.isArray(inner) ? (inner as Json)[step] : undefined;
      if (typeOf(inner) !== undefined) nested = true;
    }
    if (!nested) lines.push(`${path}${e.instancePath} ${e.message} ${JSON.stringify(e.params)}`);
  }
}

/**
 * Schema errors as readable lines. Elements are an anyOf over every type, so ajv's errors for a
 * whole card list every branch; instead each object with a `type` is checked against its own
 * definition, and a type with no 1.5 definition is named as such.
 */
function schemaErrors(card: unknown, v: Validator = cardValidator): string[] {
  const instance = withoutTeamsExtension(card);
  const whole = v.ajv.getSchema(v.id)!;
  if (whole(instance)) return [];
  const lines: string[] = [];
  const visit = (node: unknown, path: string): void => {
    if (Array.isArray(node)) return node.forEach((n, i) => visit(n, `${path}/${i}`));
    if (!isObject(node)) return;
    const type = typeOf(node);
    if (type !== undefined && v.definitions.has(type)) localErrors(v, node, path, lines);
    else if (type !== undefined) lines.push(`${path || '/'} type ${JSON.stringify(type)} is not an Adaptive Cards 1.5 element or action`);
    for (const [k, child] of Object.entries(node)) visit(child, `${path}/${k}`);
  };
  visit(instance, '');
  // A problem the per-type checks cannot place (e.g. an element without a type): ajv's own words.
  return lines.length > 0 ? lines : (whole.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message}`);
}

function executeVerbs(node: unknown, path: string, out: { path: string; verb: unknown }[]): void {
  if (Array.isArray(node)) node.forEach((n, i) => executeVerbs(n, `${path}[${i}]`, out));
  if (!isObject(node)) return;
  if (node.type === 'Action.Execute') out.push({ path, verb: node.verb });
  for (const [k, v] of Object.entries(node)) executeVerbs(v, `${path}.${k}`, out);
}

const read = (file: string): unknown => JSON.parse(readFileSync(join(CARDS, file), 'utf8'));
const { names, samples, orphanData } = listTemplates(CARDS);
const templates = names.map((name) => ({ name, template: read(`${name}.json`) }));

describe('the schema check itself', () => {
  const card = (body: unknown[], extra: Json = {}) => ({ type: 'AdaptiveCard', version: '1.5', body, ...extra });
  it.each([
    { name: 'a misspelt property', template: card([{ type: 'TextBlock', txt: 'x' }]), wantError: "must have required property 'text'" },
    { name: 'an input without an id', template: card([{ type: 'Input.Text', label: 'x' }]), wantError: "must have required property 'id'" },
    { name: 'a string where a boolean goes', template: card([{ type: 'TextBlock', text: 'x', wrap: 'yes' }]), wantError: '/body/0/wrap must be boolean' },
    { name: 'a 1.6 element', template: card([{ type: 'Icon', name: 'Calendar' }]), wantError: '/body/0 type "Icon" is not an Adaptive Cards 1.5 element or action' },
    { name: 'an unknown root property', template: card([], { teams: {} }), wantError: 'must NOT have additional properties' },
    { name: 'a bad choice style', template: card([{ type: 'Input.ChoiceSet', id: 'c', style: 'dropdown', choices: [] }]), wantError: '/body/0/style' },
  ])('rejects $name', ({ template, wantError }) => {
    expect(schemaErrors(withoutDirectives(template), templateValidator).join('\n')).toContain(wantError);
  });

  it('accepts whole expressions in typed slots, templating directives and the Teams width extension', () => {
    const template = card(
      [
        { type: 'TextBlock', text: '${title}', wrap: '${wrapIt}', isVisible: '${show}', $when: '${show}' },
        { type: 'FactSet', facts: [{ $data: '${facts}', title: '${k}', value: '${v}' }] },
        { type: 'Input.Number', id: 'n', value: '${count}', min: 0 },
      ],
      { msteams: { width: 'Full' }, refresh: { action: { type: 'Action.Execute', verb: 'plan.refresh' }, userIds: '${approverIds}' } },
    );
    expect(schemaErrors(withoutDirectives(template), templateValidator)).toEqual([]);
  });

  it('still checks a string that only contains an expression', () => {
    expect(schemaErrors(withoutDirectives(card([{ type: 'TextBlock', text: 'x', wrap: 'is ${x}' }])), templateValidator).join('\n')).toContain('/body/0/wrap must be boolean');
  });
});

describe('card templates in cards/', () => {
  it('every sample data file has its template', () => {
    expect(orphanData).toEqual([]);
  });

  if (templates.length === 0) {
    it('cards/ holds the card templates', () => {
      expect(names).not.toEqual([]);
    });
    return;
  }

  it.each(templates)('$name: the template is valid against the Adaptive Cards 1.5 schema', ({ template }) => {
    expect(schemaErrors(withoutDirectives(template), templateValidator)).toEqual([]);
  });

  it('every template has its sample data', () => {
    expect(names.filter((name) => !samples.some((s) => s.file === `${name}.data.json`))).toEqual([]);
  });

  it.each(samples)('$file: the template expanded with this sample is a valid 1.5 card that Teams can show', ({ template: name, file }) => {
    const card = renderCard(name, read(file) as object, { localNote: null });
    expect(unboundPaths(card)).toEqual([]);
    expect(schemaErrors(card)).toEqual([]);
    expect(checkTeamsSupport(card)).toEqual([]);
  });

  it.each(templates)('$name: every Action.Execute names a registered verb, literally', ({ template }) => {
    const found: { path: string; verb: unknown }[] = [];
    executeVerbs(template, '$', found);
    const unknown = found.filter((f) => typeof f.verb !== 'string' || !isVerb(f.verb));
    expect(unknown).toEqual([]);
  });

  it('every registered verb is used by some template', () => {
    const used = new Set<unknown>();
    for (const { template } of templates) {
      const found: { path: string; verb: unknown }[] = [];
      executeVerbs(template, '$', found);
      for (const f of found) used.add(f.verb);
    }
    expect(ALL_VERBS.filter((v) => !used.has(v))).toEqual([]);
  });
});
