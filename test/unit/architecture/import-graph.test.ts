/**
 * The architecture, read from the imports of src/ with the TypeScript parser (every form: static,
 * type-only, re-exports, import(), require()), so it holds mechanically (docs/architecture.md):
 *
 * - handlers/ never imports stores/: handlers get workflows, the composition root builds stores;
 * - there is no import circle anywhere in src/, counting type-only imports;
 * - no module in src/bot/ keeps mutable state at the top level (no top-level let/var, no
 *   module-level Map/Set/WeakMap cache, no top-level assignment): state lives in what the
 *   composition root builds.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import ts from 'typescript';

const ROOT = resolve(__dirname, '..', '..', '..');
const SRC = join(ROOT, 'src');

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return walk(path);
    return path.endsWith('.ts') && !path.endsWith('.d.ts') ? [path] : [];
  });
}

const files = walk(SRC);
const rel = (path: string) => relative(ROOT, path).split('\\').join('/');
const parsed = new Map(files.map((f) => [f, ts.createSourceFile(f, readFileSync(f, 'utf8'), ts.ScriptTarget.ES2022, true)]));

/** Every module specifier a file names, in any import form. */
function specifiers(source: ts.SourceFile): string[] {
  const found: string[] = [];
  const visit = (node: ts.Node): void => {
    if ((ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier)) found.push(node.moduleSpecifier.text);
    else if (ts.isImportEqualsDeclaration(node) && ts.isExternalModuleReference(node.moduleReference) && ts.isStringLiteral(node.moduleReference.expression)) found.push(node.moduleReference.expression.text);
    else if (ts.isCallExpression(node) && node.arguments.length === 1 && ts.isStringLiteral(node.arguments[0]!)
      && (node.expression.kind === ts.SyntaxKind.ImportKeyword || (ts.isIdentifier(node.expression) && node.expression.text === 'require'))) found.push(node.arguments[0].text);
    else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument) && ts.isStringLiteral(node.argument.literal)) found.push(node.argument.literal.text);
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

/** The src/ file a relative specifier names, or null for a package or a non-TypeScript file. */
function resolveLocal(from: string, spec: string): string | null {
  if (!spec.startsWith('.')) return null;
  const base = resolve(dirname(from), spec);
  for (const candidate of [`${base}.ts`, join(base, 'index.ts'), base]) if (parsed.has(candidate)) return candidate;
  return null;
}

const graph = new Map(files.map((f) => [f, [...new Set(specifiers(parsed.get(f)!).map((s) => resolveLocal(f, s)).filter((t): t is string => t !== null))]]));

/** The import circles: strongly connected components of more than one module, or a self-import (Tarjan). */
function circles(): string[][] {
  let index = 0;
  const stack: string[] = [];
  const on = new Set<string>();
  const idx = new Map<string, number>();
  const low = new Map<string, number>();
  const out: string[][] = [];
  const connect = (v: string): void => {
    idx.set(v, index);
    low.set(v, index);
    index += 1;
    stack.push(v);
    on.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!idx.has(w)) {
        connect(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (on.has(w)) low.set(v, Math.min(low.get(v)!, idx.get(w)!));
    }
    if (low.get(v) === idx.get(v)) {
      const component: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        on.delete(w);
        component.push(w);
      } while (w !== v);
      if (component.length > 1 || (graph.get(v) ?? []).includes(v)) out.push(component.map(rel).sort());
    }
  };
  for (const f of files) if (!idx.has(f)) connect(f);
  return out;
}

const MUTABLE_CONSTRUCTORS = new Set(['Map', 'Set', 'WeakMap', 'WeakSet']);

/** Top-level statements of a module that keep or change state: `let`/`var`, a new Map/Set/…, an assignment. */
function topLevelState(source: ts.SourceFile): string[] {
  const problems: string[] = [];
  const line = (node: ts.Node) => source.getLineAndCharacterOfPosition(node.getStart()).line + 1;
  for (const statement of source.statements) {
    if (ts.isVariableStatement(statement)) {
      const flags = statement.declarationList.flags;
      if (!(flags & ts.NodeFlags.Const)) problems.push(`${rel(source.fileName)}:${line(statement)} top-level ${flags & ts.NodeFlags.Let ? 'let' : 'var'}`);
      for (const d of statement.declarationList.declarations) {
        let init = d.initializer;
        while (init && (ts.isAsExpression(init) || ts.isParenthesizedExpression(init) || ts.isSatisfiesExpression(init))) init = init.expression;
        // A ReadonlySet/ReadonlyMap constant is a lookup table: the type forbids changing it.
        const readonly = d.type !== undefined && ts.isTypeReferenceNode(d.type) && /^Readonly(Set|Map)$/.test(d.type.typeName.getText(source));
        if (!readonly && init && ts.isNewExpression(init) && ts.isIdentifier(init.expression) && MUTABLE_CONSTRUCTORS.has(init.expression.text)) {
          problems.push(`${rel(source.fileName)}:${line(d)} top-level new ${init.expression.text} (${d.name.getText(source)})`);
        }
      }
    } else if (ts.isExpressionStatement(statement) && ts.isBinaryExpression(statement.expression)
      && statement.expression.operatorToken.kind >= ts.SyntaxKind.FirstAssignment && statement.expression.operatorToken.kind <= ts.SyntaxKind.LastAssignment) {
      problems.push(`${rel(source.fileName)}:${line(statement)} top-level assignment to ${statement.expression.left.getText(source)}`);
    }
  }
  return problems;
}

describe('the import graph of src/', () => {
  it('reads every module', () => {
    expect(files.length).toBeGreaterThan(100);
    expect(graph.get(join(SRC, 'bot', 'compose.ts'))?.length).toBeGreaterThan(20);
  });

  it('handlers/ does not import stores/', () => {
    const handlers = files.filter((f) => rel(f).startsWith('src/bot/handlers/'));
    const offending = handlers.flatMap((f) => graph.get(f)!.filter((t) => rel(t).startsWith('src/bot/stores/')).map((t) => `${rel(f)} → ${rel(t)}`));
    expect(offending).toEqual([]);
  });

  it('has no import circle, type-only imports included', () => {
    expect(circles()).toEqual([]);
  });

  it('no module in src/bot/ keeps mutable state at the top level', () => {
    const bot = files.filter((f) => rel(f).startsWith('src/bot/'));
    expect(bot.flatMap((f) => topLevelState(parsed.get(f)!))).toEqual([]);
  });
});

describe('the checks themselves', () => {
  const check = (code: string) => topLevelState(ts.createSourceFile(join(SRC, 'bot', 'probe.ts'), code, ts.ScriptTarget.ES2022, true));
  it.each([
    { code: 'let n = 0;', want: /top-level let/ },
    { code: 'var n = 0;', want: /top-level var/ },
    { code: 'const cache = new Map<string, number>();', want: /new Map \(cache\)/ },
    { code: 'const seen = new WeakMap() as WeakMap<object, number>;', want: /new WeakMap \(seen\)/ },
    { code: 'Lib.hook = () => 1;', want: /assignment to Lib\.hook/ },
  ])('flags $code', ({ code, want }) => {
    expect(check(code)).toEqual([expect.stringMatching(want)]);
  });
  it.each(['const LIMIT = 500;', "const CODES: ReadonlySet<string> = new Set(['a']);", 'export function f() { let n = 0; return n; }', 'const pattern = /x/;', 'export const ITEMS = [1, 2] as const;'])('allows %s', (code) => {
    expect(check(code)).toEqual([]);
  });
});
