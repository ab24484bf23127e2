// Fails when the checked-in custom-elements.json differs from what the analyzer generates now.
import { execFileSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';

// The analyzer resolves --outdir against the working directory, so stay inside the project.
const out = '.test-results/cem';

function analyze() {
  rmSync(out, { recursive: true, force: true });
  execFileSync('npx', ['cem', 'analyze', '--outdir', out], {
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const text = readFileSync(`${out}/custom-elements.json`, 'utf8');
  rmSync(out, { recursive: true, force: true });
  return JSON.stringify(JSON.parse(text));
}

let current = '';
try {
  current = JSON.stringify(JSON.parse(readFileSync('custom-elements.json', 'utf8')));
} catch {
  // missing or unreadable counts as stale
}

/** The modules whose entries differ between two manifests, by path. */
function differingModules(a, b) {
  const modules = (text) =>
    new Map(text ? JSON.parse(text).modules.map((m) => [m.path, JSON.stringify(m)]) : []);
  const [ma, mb] = [modules(a), modules(b)];
  return [...new Set([...ma.keys(), ...mb.keys()])].filter((p) => ma.get(p) !== mb.get(p));
}

const first = analyze();
if (first !== current) {
  // Once, in CI, one analysis differed from the next with no source change: analyze again
  // before calling the file stale, and say so, naming the modules.
  const second = analyze();
  const differ = differingModules(current, second);
  if (second !== current) {
    console.error(`Modules that differ: ${differ.join(', ') || 'none (only their order)'}`);
    console.error('custom-elements.json is stale: run `npm run manifest` and commit the result.');
    process.exit(1);
  }
  console.warn(
    `The analyzer's first run differed in ${differingModules(current, first).join(', ') || 'module order'}; the second matched.`,
  );
}
console.log('custom-elements.json is current.');
