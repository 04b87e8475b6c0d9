/**
 * The Teams app manifest: filling the template's {{NAME}} placeholders and validating the result
 * against the JSON schema that @microsoft/app-manifest ships, strictly offline.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import Ajv2020 from 'ajv/dist/2020';
import AjvDraft04 from 'ajv-draft-04';
import addFormats from 'ajv-formats';
import { CodedError } from '../../shared/errors';

const PLACEHOLDER = /\{\{([A-Za-z_][A-Za-z0-9_]*)\}\}/g;
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const DNS_NAME = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]([a-z0-9-]{0,61}[a-z0-9])?$/i;

/** What the template needs from the environment and package.json. */
export interface ManifestValues {
  /** The bot's Microsoft App ID (MicrosoftAppId): the bot id and the Teams app id. */
  appId: string;
  /** The public host name the bot answers on (PICBOT_PUBLIC_HOST): the valid domain. */
  publicHost: string;
  /** The app version (package.json). */
  version: string;
}

/**
 * Checks the two environment values packaging needs; the error names the variable. Unset comes
 * first so a fresh machine hears about both variables in the order it has to set them.
 */
export function checkManifestEnv(env: { MicrosoftAppId?: string; PICBOT_PUBLIC_HOST?: string }): { appId: string; publicHost: string } {
  const appId = env.MicrosoftAppId?.trim() ?? '';
  const publicHost = env.PICBOT_PUBLIC_HOST?.trim() ?? '';
  if (appId === '') throw new CodedError('config_invalid', 'MicrosoftAppId: required to package the Teams app (the Azure Bot\'s Microsoft App ID)');
  if (!GUID.test(appId)) throw new CodedError('config_invalid', 'MicrosoftAppId: must be the bot\'s Microsoft App ID (a GUID)');
  if (publicHost === '') throw new CodedError('config_invalid', 'PICBOT_PUBLIC_HOST: required to package the Teams app (the host name in https://<host>/api/messages)');
  if (/^[a-z]+:\/\//i.test(publicHost) || /[/:]/.test(publicHost)) {
    throw new CodedError('config_invalid', `PICBOT_PUBLIC_HOST: give the host name only, without scheme, port or path (got "${publicHost}")`);
  }
  if (!DNS_NAME.test(publicHost)) throw new CodedError('config_invalid', `PICBOT_PUBLIC_HOST: "${publicHost}" is not a DNS host name`);
  return { appId: appId.toLowerCase(), publicHost: publicHost.toLowerCase() };
}

/**
 * Replaces every {{NAME}} in the template text and parses the result. Values are inserted as JSON
 * string content, so a value can never change the manifest's structure; a placeholder without a
 * value is an error rather than a literal left in the package.
 */
export function fillManifest(templateText: string, values: ManifestValues): unknown {
  const table: Record<string, string> = {
    MicrosoftAppId: values.appId,
    PICBOT_PUBLIC_HOST: values.publicHost,
    PACKAGE_VERSION: values.version,
  };
  const unknown = new Set<string>();
  const filled = templateText.replace(PLACEHOLDER, (whole, name: string) => {
    const value = table[name];
    if (value === undefined) {
      unknown.add(name);
      return whole;
    }
    return JSON.stringify(value).slice(1, -1);
  });
  if (unknown.size > 0) throw new CodedError('bad_request', `manifest template has placeholders with no value: ${[...unknown].join(', ')}`);
  try {
    return JSON.parse(filled);
  } catch (err) {
    throw new CodedError('bad_request', `manifest template is not JSON: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
}

/** Where @microsoft/app-manifest keeps its JSON schemas (the package ships them for offline use). */
function schemaRoot(): string {
  return join(dirname(require.resolve('@microsoft/app-manifest/package.json')), 'build');
}

/**
 * The local copy of the schema a manifest's `$schema` names, or an error: this never fetches,
 * so a manifest naming a schema the package does not ship cannot be validated and is refused.
 */
export function loadManifestSchema(schemaUrl: unknown): Record<string, unknown> {
  if (typeof schemaUrl !== 'string') throw new CodedError('bad_request', 'manifest has no $schema URL');
  const m = /^https:\/\/developer\.microsoft\.com\/(?:[a-z]{2}-[a-z]{2}\/)?(json-schemas\/teams\/v[0-9.]+\/MicrosoftTeams\.schema\.json)$/i.exec(schemaUrl);
  if (!m) throw new CodedError('bad_request', `manifest $schema is not a Teams manifest schema URL: ${schemaUrl}`);
  const file = join(schemaRoot(), m[1]!);
  if (!existsSync(file)) throw new CodedError('bad_request', `no offline copy of ${schemaUrl} in @microsoft/app-manifest`);
  // The published files contain \a and \v escapes that JSON does not allow (the package does the same).
  const text = readFileSync(file, 'utf8').replace(/\\a/g, '\\u0007').replace(/\\v/g, '\\u000b');
  return JSON.parse(text) as Record<string, unknown>;
}

/**
 * Schema errors of a filled manifest ("<path> <message>. Details: …" lines); empty when valid.
 *
 * This is AppManifestUtils.validateAgainstSchema of @microsoft/app-manifest 1.1.2 with the schema
 * always taken from the package's own files: the same ajv flavour per schema draft, the same
 * formats and options, the same message format. The class itself is not imported because the
 * package's index loads strip-bom 5, which is ESM-only and cannot be required under jest on Node 20.
 */
export async function validateManifest(manifest: unknown): Promise<string[]> {
  if (typeof manifest !== 'object' || manifest === null || Array.isArray(manifest)) return ['manifest is not a JSON object'];
  const schema = loadManifestSchema((manifest as { $schema?: unknown }).$schema);
  const options = { allErrors: true, strictTypes: false } as const;
  const ajv = String(schema.$schema ?? '').includes('2020-12') ? new Ajv2020(options) : new AjvDraft04(options);
  addFormats(ajv as never, ['uri', 'email', 'regex']);
  const validate = ajv.compile(schema);
  if (validate(JSON.parse(JSON.stringify(manifest)))) return [];
  return (validate.errors ?? []).map((e) => `${e.instancePath} ${e.message ?? ''}. Details: ${e.params ? JSON.stringify(e.params) : ''}`);
}
