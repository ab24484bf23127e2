#!/usr/bin/env node
// `npm test`: every check and suite, in order, then one closing line with the counts.
// It keeps going after a failure so one run shows everything that is wrong.
// The local stack is started if it is not running, and stopped again only if this run started it.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';

const only = process.argv.slice(2); // e.g. `npm test -- browser cdn`
const wanted = (name) => only.length === 0 || only.includes(name);

const results = []; // {name, kind: 'check'|'suite', ok, passed?, failed?, skipped?, seconds}

function run(command, args, { env } = {}) {
  return new Promise((resolve) => {
    const child = spawn(command, args, {
      stdio: 'inherit',
      env: { ...process.env, FORCE_COLOR: process.env.FORCE_COLOR ?? '1', ...env },
    });
    child.on('exit', (code, signal) => resolve(code === 0 && !signal));
    child.on('error', () => resolve(false));
  });
}

function banner(text) {
  console.log(`\n\x1b[1m━━ ${text}\x1b[0m`);
}

async function check(name, command, args) {
  if (!wanted(name)) return true;
  banner(name);
  const start = performance.now();
  const ok = await run(command, args);
  results.push({ name, kind: 'check', ok, seconds: (performance.now() - start) / 1000 });
  return ok;
}

/** Counts from a node:test TAP file: `# pass N`, `# fail N`, `# skipped N`. */
function tapCounts(file) {
  if (!existsSync(file)) return undefined;
  const text = readFileSync(file, 'utf8');
  const grab = (label) => Number(text.match(new RegExp(`^# ${label} (\\d+)$`, 'm'))?.[1] ?? 0);
  return {
    passed: grab('pass'),
    failed: grab('fail') + grab('cancelled'),
    skipped: grab('skipped') + grab('todo'),
  };
}

/** Node 20's `--test` does not expand globs itself; `dir/*.test.ts` is all we need. */
function expand(pattern) {
  const dir = dirname(pattern);
  const suffix = pattern.slice(dir.length + 2); // after "dir/*"
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.endsWith(suffix))
    .sort()
    .map((f) => join(dir, f));
}

async function nodeSuite(name, patterns, { env } = {}) {
  if (!wanted(name)) return;
  const files = patterns.flatMap(expand);
  banner(`${name} (node:test)`);
  const tap = `.test-results/${name}.tap`;
  rmSync(tap, { force: true });
  const start = performance.now();
  const ok = await run(
    process.execPath,
    [
      '--import',
      'tsx',
      '--test',
      '--test-concurrency=1',
      '--test-reporter=spec',
      '--test-reporter-destination=stdout',
      '--test-reporter=tap',
      `--test-reporter-destination=${tap}`,
      ...files,
    ],
    { env },
  );
  const counts = tapCounts(tap) ?? { passed: 0, failed: 1, skipped: 0 };
  if (!ok && counts.failed === 0) counts.failed = 1; // crashed outside any test
  results.push({
    name,
    kind: 'suite',
    ok: ok && counts.failed === 0,
    ...counts,
    seconds: (performance.now() - start) / 1000,
  });
}

/**
 * web-test-runner in one browser: `browser` is Chromium with the stack tests and coverage;
 * `firefox` and `webkit` run the component tests (src/) in Firefox ESR and WebKitGTK.
 */
async function browserSuite(name, browser, label) {
  if (!wanted(name)) return;
  banner(`${name} (web-test-runner in ${label})`);
  const file = `.test-results/${name}.json`;
  rmSync(file, { force: true });
  const start = performance.now();
  const ok = await run(
    process.execPath,
    ['--import', 'tsx', 'node_modules/@web/test-runner/dist/bin.js'],
    { env: { MC_TEST_BROWSER: browser } },
  );
  const counts = existsSync(file)
    ? JSON.parse(readFileSync(file, 'utf8'))
    : { passed: 0, failed: 1, skipped: 0 };
  if (!ok && counts.failed === 0) counts.failed = 1;
  results.push({
    name,
    kind: 'suite',
    ok: ok && counts.failed === 0,
    ...counts,
    seconds: (performance.now() - start) / 1000,
  });
}

mkdirSync('.test-results', { recursive: true });
const started = performance.now();

await check('lockfile', process.execPath, ['scripts/lockfile-platforms.mjs', '--check']);
await check('lint', 'npm', ['run', '--silent', 'lint']);
await check('layers', process.execPath, ['scripts/check-layers.mjs']);
await check('typecheck', 'npm', ['run', '--silent', 'typecheck']);
await check('manifest', 'npm', ['run', '--silent', 'manifest:check']);
const built = await check('build', 'npm', ['run', '--silent', 'build']);

const needsStack = ['stack', 'browser', 'cdn', 'e2e'].some(wanted);
let weStartedStack = false;
if (needsStack) {
  banner('local stack');
  const wasUp = await run(process.execPath, [
    '--import',
    'tsx',
    'stack/cli.ts',
    'status',
    '--quiet',
  ]);
  if (!wasUp) {
    const up = await run(process.execPath, ['--import', 'tsx', 'stack/cli.ts', 'up']);
    results.push({ name: 'stack:up', kind: 'check', ok: up, seconds: 0 });
    weStartedStack = up;
  } else {
    console.log('Using the stack that is already running.');
  }
}

try {
  await nodeSuite('stack', ['test/stack/*.test.ts']);
  await browserSuite('browser', 'chromium', 'Chromium');
  await browserSuite('firefox', 'firefox', 'Firefox ESR');
  await browserSuite('webkit', 'webkit', 'WebKitGTK');
  if (built) await nodeSuite('cdn', ['test/cdn/*.test.ts']);
  if (existsSync('test/e2e')) await nodeSuite('e2e', ['test/e2e/*.test.ts']);
  if (built) await check('size', process.execPath, ['bench/size.mjs', '--check']);
} finally {
  if (weStartedStack) {
    banner('stopping the local stack');
    await run(process.execPath, ['--import', 'tsx', 'stack/cli.ts', 'down']);
  }
}

const suites = results.filter((r) => r.kind === 'suite');
const checks = results.filter((r) => r.kind === 'check');
const passed = suites.reduce((n, r) => n + r.passed, 0);
const failed = suites.reduce((n, r) => n + r.failed, 0);
const skipped = suites.reduce((n, r) => n + r.skipped, 0);
const failedChecks = checks.filter((r) => !r.ok).map((r) => r.name);
const perSuite = suites.map((r) => `${r.name} ${r.passed}/${r.passed + r.failed}`).join(', ');
const minutes = ((performance.now() - started) / 60000).toFixed(1);
const ok = failed === 0 && failedChecks.length === 0 && suites.every((r) => r.ok);

console.log('\n' + '━'.repeat(72));
for (const r of results) {
  const mark = r.ok ? '\x1b[32m✓\x1b[0m' : '\x1b[31m✗\x1b[0m';
  const counts =
    r.kind === 'suite'
      ? ` ${r.passed} passed, ${r.failed} failed${r.skipped ? `, ${r.skipped} skipped` : ''}`
      : '';
  console.log(`${mark} ${r.name.padEnd(10)}${counts} (${r.seconds.toFixed(1)}s)`);
}
console.log(
  `${ok ? 'PASS' : 'FAIL'}: ${passed} tests passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''} (${perSuite})` +
    `; checks ${checks.length - failedChecks.length}/${checks.length} ok${failedChecks.length ? ` (failed: ${failedChecks.join(', ')})` : ''}; ${minutes} min`,
);
process.exit(ok ? 0 : 1);
