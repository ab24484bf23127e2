// Fails when the checked-in custom-elements.json differs from what the analyzer generates now.
import { execFileSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';

// The analyzer resolves --outdir against the working directory, so stay inside the project.
const out = '.test-results/cem';
rmSync(out, { recursive: true, force: true });
execFileSync('npx', ['cem', 'analyze', '--outdir', out], {
  stdio: ['ignore', 'ignore', 'inherit'],
});
const normalize = (text) => JSON.stringify(JSON.parse(text));
const fresh = normalize(readFileSync(`${out}/custom-elements.json`, 'utf8'));
let current = '';
try {
  current = normalize(readFileSync('custom-elements.json', 'utf8'));
} catch {
  // missing or unreadable counts as stale
}
rmSync(out, { recursive: true, force: true });
if (fresh !== current) {
  // Name what differs, so a stale manifest is easy to tell from an unstable one.
  const modules = (text) =>
    new Map(text ? JSON.parse(text).modules.map((m) => [m.path, JSON.stringify(m)]) : []);
  const [a, b] = [modules(current), modules(fresh)];
  const differ = [...new Set([...a.keys(), ...b.keys()])].filter((p) => a.get(p) !== b.get(p));
  console.error(`Modules that differ: ${differ.join(', ') || 'none (only their order)'}`);
  console.error('custom-elements.json is stale: run `npm run manifest` and commit the result.');
  process.exit(1);
}
console.log('custom-elements.json is current.');
