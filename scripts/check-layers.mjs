#!/usr/bin/env node
// The layer rules, checked over the whole import graph (ESLint sees one file at a time):
//  - elements, controllers, events and strings never load livekit-client or matrix-js-sdk,
//    not even through a core module; only a dynamic import() (the lazy engine) may cross;
//  - src/core never imports Lit and never touches the DOM (`document`, `window`,
//    `customElements`, `HTMLElement`).
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import ts from 'typescript';

const ROOT = resolve(import.meta.dirname, '..');
const SDKS = /^(livekit-client|matrix-js-sdk)(\/|$)/;
const LIT = /^(lit|@lit\/)/;
const DOM = new Set(['document', 'window', 'customElements', 'HTMLElement']);

function sources(dir) {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sources(path);
    return path.endsWith('.ts') && !path.endsWith('.test.ts') ? [path] : [];
  });
}

const parsed = new Map();
function parse(file) {
  let info = parsed.get(file);
  if (info) return info;
  const source = ts.createSourceFile(
    file,
    readFileSync(file, 'utf8'),
    ts.ScriptTarget.Latest,
    true,
  );
  const imports = []; // runtime (not type-only), static
  const identifiers = [];
  const visit = (node) => {
    if (
      (ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) &&
      node.moduleSpecifier &&
      ts.isStringLiteral(node.moduleSpecifier)
    ) {
      const typeOnly = ts.isImportDeclaration(node)
        ? node.importClause?.isTypeOnly ||
          (node.importClause &&
            !node.importClause.name &&
            node.importClause.namedBindings &&
            ts.isNamedImports(node.importClause.namedBindings) &&
            node.importClause.namedBindings.elements.length > 0 &&
            node.importClause.namedBindings.elements.every((e) => e.isTypeOnly))
        : node.isTypeOnly;
      if (!typeOnly) imports.push(node.moduleSpecifier.text);
    }
    if (ts.isIdentifier(node) && DOM.has(node.text)) {
      const { line } = source.getLineAndCharacterOfPosition(node.getStart());
      identifiers.push({ name: node.text, line: line + 1 });
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  info = { imports, identifiers };
  parsed.set(file, info);
  return info;
}

const local = (from, spec) =>
  spec.startsWith('.') ? resolve(dirname(from), spec.replace(/\.js$/, '.ts')) : undefined;

/** The chain of static runtime imports from `file` to an SDK, if there is one. */
function pathToSdk(file, seen = new Set()) {
  if (seen.has(file)) return undefined;
  seen.add(file);
  for (const spec of parse(file).imports) {
    if (SDKS.test(spec)) return [spec];
    const next = local(file, spec);
    if (next) {
      const rest = pathToSdk(next, seen);
      if (rest) return [relative(ROOT, next), ...rest];
    }
  }
  return undefined;
}

const problems = [];
for (const dir of ['src/elements', 'src/controller', 'src/events', 'src/i18n']) {
  for (const file of sources(join(ROOT, dir))) {
    const chain = pathToSdk(file);
    if (chain) problems.push(`${relative(ROOT, file)} loads ${chain.join(' → ')}`);
  }
}
for (const file of sources(join(ROOT, 'src/core'))) {
  const { imports, identifiers } = parse(file);
  for (const spec of imports.filter((s) => LIT.test(s)))
    problems.push(`${relative(ROOT, file)} imports ${spec} (src/core is framework-free)`);
  for (const { name, line } of identifiers)
    problems.push(`${relative(ROOT, file)}:${line} uses ${name} (src/core never touches the DOM)`);
}

if (problems.length) {
  console.error(`Layer rules broken:\n  ${problems.join('\n  ')}`);
  process.exit(1);
}
console.log('Layers hold: no SDK reaches the elements, no Lit or DOM in the core.');
