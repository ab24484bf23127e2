#!/usr/bin/env node
// Gzipped sizes of what a page downloads. Run after `npm run build`.
//   CDN entry before join: the entry and the chunks it imports statically.
//   Full call: every chunk reachable from the entry, plus the crypto wasm and the E2EE worker.
//   dist/ core and elements: bundled and minified with esbuild, peers left out.
// `--check` exits non-zero if the CDN entry is over its 25 KB budget.
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { gzipSync } from 'node:zlib';
import { init, parse } from 'es-module-lexer';
import { build } from 'esbuild';

const ENTRY_BUDGET = 25 * 1024;
await init;

const gz = (buf) => gzipSync(buf, { level: 9 }).length;
const kb = (n) => `${(n / 1024).toFixed(1)} KB`;

/**
 * Follows relative imports from a built file; `dynamic` decides whether import() counts.
 * Dynamic imports matching `skip` are left out (the widget client, which only widgets load).
 */
function closure(entry, dynamic, skip = /^$/) {
  const seen = new Set();
  const visit = (file) => {
    if (seen.has(file)) return;
    seen.add(file);
    const code = readFileSync(file, 'utf8');
    const [imports] = parse(code);
    for (const imp of imports) {
      if (!imp.specifier?.startsWith('.')) continue;
      if (imp.type === 'dynamic' && (!dynamic || skip.test(imp.specifier))) continue;
      visit(resolve(dirname(file), imp.specifier));
    }
  };
  visit(entry);
  return [...seen];
}

const total = (files) => files.reduce((n, f) => n + gz(readFileSync(f)), 0);
const raw = (files) => files.reduce((n, f) => n + readFileSync(f).length, 0);

const entry = resolve('cdn/matrix-call.js');
const beforeJoin = closure(entry, false);
const WIDGET_ONLY = /widget-session/;
const fullCall = closure(entry, true, WIDGET_ONLY);
const widgetPage = closure(resolve('cdn/widget.js'), true);
const assets = readdirSync('cdn/assets').map((f) => join('cdn/assets', f));
const wasm = assets.filter((f) => f.endsWith('.wasm'));
const worker = assets.filter((f) => /e2ee.*\.m?js$/.test(f));

async function bundleGz(entryPoint, external) {
  const out = await build({
    entryPoints: [entryPoint],
    bundle: true,
    minify: true,
    format: 'esm',
    platform: 'browser',
    write: false,
    external,
    logLevel: 'silent',
  });
  return gz(Buffer.concat(out.outputFiles.map((f) => Buffer.from(f.contents))));
}
const peers = [
  'livekit-client',
  'matrix-js-sdk',
  'matrix-widget-api',
  'livekit-client/*',
  'matrix-js-sdk/*',
];
const distCore = await bundleGz('dist/core/index.js', peers);
const distElements = await bundleGz('dist/define.js', [...peers, 'lit', 'lit/*', '@lit/*']);
const distElementsWithLit = await bundleGz('dist/define.js', peers);

const rows = [
  [
    'CDN entry, before join',
    total(beforeJoin),
    `${beforeJoin.length} file(s), ${kb(raw(beforeJoin))} raw`,
  ],
  [
    'Full call JS (entry + all chunks)',
    total(fullCall),
    `${fullCall.length} files, ${kb(raw(fullCall))} raw`,
  ],
  [
    'Widget page (widget.js + all chunks)',
    total(widgetPage),
    `${widgetPage.length} files, ${kb(raw(widgetPage))} raw`,
  ],
  ['Crypto wasm', total(wasm), `${kb(raw(wasm))} raw`],
  ['E2EE worker', total(worker), worker.length ? `${kb(raw(worker))} raw` : 'missing'],
  [
    'dist/ core, without peers',
    distCore,
    'esbuild --bundle --minify, livekit-client + matrix-js-sdk external',
  ],
  ['dist/ elements, without peers or lit', distElements, 'define.js bundled'],
  ['dist/ elements + lit, without peers', distElementsWithLit, 'define.js bundled'],
];
console.log('Gzipped sizes (gzip -9):');
for (const [name, size, note] of rows)
  console.log(`  ${name.padEnd(38)} ${kb(size).padStart(10)}   ${note}`);

const entrySize = rows[0][1];
if (process.argv.includes('--check')) {
  if (entrySize > ENTRY_BUDGET) {
    console.error(`CDN entry is ${kb(entrySize)} gzipped, over the ${kb(ENTRY_BUDGET)} budget.`);
    process.exit(1);
  }
  if (worker.length === 0 || wasm.length === 0) {
    console.error('cdn/assets must hold the crypto wasm and the E2EE worker.');
    process.exit(1);
  }
  console.log(`CDN entry is within its ${kb(ENTRY_BUDGET)} budget.`);
}
