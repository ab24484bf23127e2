#!/usr/bin/env node
// The npm registry reachable here does not serve some other platforms' native
// binaries (e.g. @rollup/rollup-darwin-x64), so `npm install` silently leaves
// them out of package-lock.json, and `npm ci` then rejects the lock as out of
// sync. This adds the missing optional entries with their os/cpu, so `npm ci`
// skips them on this platform without fetching. Run after `npm install`;
// `npm test` checks the lock (`--check`).
import { readFileSync, writeFileSync } from 'node:fs';

const file = process.argv.find((a) => a.endsWith('package-lock.json')) ?? 'package-lock.json';
const lock = JSON.parse(readFileSync(file, 'utf8'));
const packages = lock.packages;

const osNames = {
  android: 'android',
  darwin: 'darwin',
  freebsd: 'freebsd',
  linux: 'linux',
  win32: 'win32',
  openharmony: 'openharmony',
  netbsd: 'netbsd',
  openbsd: 'openbsd',
  sunos: 'sunos',
  aix: 'aix',
  wasm32: undefined,
};
const cpuNames = [
  'arm64',
  'arm',
  'x64',
  'ia32',
  'loong64',
  'ppc64',
  'riscv64',
  's390x',
  'mips64el',
  'wasm32',
];

function platformOf(name) {
  const parts = name.split('/').pop().split('-');
  const os = parts.find((p) => p in osNames);
  const cpu =
    parts.find((p) => cpuNames.includes(p)) ??
    (parts.includes('eabi') || parts.includes('gnueabihf') || parts.includes('musleabihf')
      ? 'arm'
      : undefined);
  const libc = parts.some((p) => p.startsWith('musl'))
    ? 'musl'
    : os === 'linux' && parts.some((p) => p.startsWith('gnu'))
      ? 'glibc'
      : undefined;
  return { os: osNames[os], cpu, libc };
}

/** Where npm would place `dep` as seen from the package at `path`. */
function locate(path, dep) {
  for (let dir = path; ;) {
    const candidate = `${dir ? `${dir}/` : ''}node_modules/${dep}`;
    if (packages[candidate]) return candidate;
    if (!dir) return undefined;
    const i = dir.lastIndexOf('/node_modules/');
    dir = i < 0 ? '' : dir.slice(0, i);
  }
}

const added = [];
for (const [path, meta] of Object.entries(packages)) {
  for (const [dep, spec] of Object.entries(meta.optionalDependencies ?? {})) {
    if (locate(path, dep)) continue;
    const { os, cpu, libc } = platformOf(dep);
    if (!os && !cpu) continue; // not a platform binary: leave npm's decision alone
    const at = `${path ? `${path}/` : ''}node_modules/${dep}`.replace(
      /^node_modules\/(.*\/node_modules\/)/,
      'node_modules/$1',
    );
    const target = path ? `node_modules/${dep}` : at; // hoisted, as npm does for these
    if (packages[target]) continue;
    // Keys in npm's own order, so a later `npm install` leaves the file as it is.
    packages[target] = {
      version: spec.replace(/^[\^~=]/, ''),
      ...(cpu ? { cpu: [cpu] } : {}),
      ...(meta.dev ? { dev: true } : {}),
      ...(libc ? { libc: [libc] } : {}),
      optional: true,
      ...(os ? { os: [os] } : {}),
    };
    added.push(target);
  }
}

if (process.argv.includes('--check')) {
  if (added.length) {
    console.error(
      `package-lock.json lacks ${added.length} platform entries (npm ci would fail): run \`node scripts/lockfile-platforms.mjs\`.`,
    );
    process.exit(1);
  }
  console.log('package-lock.json has every platform entry npm ci needs.');
} else {
  const sorted = Object.fromEntries(
    Object.entries(packages).sort(([a], [b]) => (a === '' ? -1 : b === '' ? 1 : a < b ? -1 : 1)),
  );
  lock.packages = sorted;
  writeFileSync(file, `${JSON.stringify(lock, null, 2)}\n`);
  console.log(`Added ${added.length} platform entries to ${file}.`);
}
