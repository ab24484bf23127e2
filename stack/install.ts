/**
 * Install on first use: Synapse into a venv, LiveKit server built with `go install`.
 * Idempotent and cached; a marker file per component records the pinned version, so
 * changing a pin reinstalls. Prints each step and how long it took.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rename, rm, writeFile, appendFile } from 'node:fs/promises';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import {
  GO_MIN_VERSION,
  LIVEKIT_MODULE,
  LIVEKIT_VERSION,
  SYNAPSE_VERSION,
  installPaths,
  type InstallPaths,
} from './config.js';
import { logTail } from './process.js';

export type Log = (line: string) => void;

/** A prerequisite is missing; the message names what to install. */
export class MissingPrerequisiteError extends Error {
  override readonly name = 'MissingPrerequisiteError';
}

export interface InstallOptions {
  /** Default `<repo>/.stack`. */
  installDir?: string;
  /** Install only what these need; default all. */
  components?: readonly ('synapse' | 'livekit')[];
}

interface RunResult {
  code: number | null;
  stdout: string;
}

/** Runs a command, capturing stdout; stderr and stdout are appended to `logFile` when given. */
function run(
  command: string,
  args: readonly string[],
  opts: { env?: NodeJS.ProcessEnv; logFile?: string; heartbeat?: () => void } = {},
): Promise<RunResult> {
  return new Promise((resolve) => {
    let stdout = '';
    let child;
    try {
      child = spawn(command, args, {
        env: opts.env ?? process.env,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
    } catch {
      resolve({ code: null, stdout: '' });
      return;
    }
    const timer = opts.heartbeat ? setInterval(opts.heartbeat, 30_000) : undefined;
    const sink = (chunk: Buffer) => {
      if (opts.logFile) void appendFile(opts.logFile, chunk).catch(() => undefined);
    };
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      sink(chunk);
    });
    child.stderr.on('data', sink);
    child.on('error', () => {
      if (timer) clearInterval(timer);
      resolve({ code: null, stdout });
    });
    child.on('close', (code) => {
      if (timer) clearInterval(timer);
      resolve({ code, stdout });
    });
  });
}

async function readMarker(path: string): Promise<string | undefined> {
  try {
    return (await readFile(path, 'utf8')).trim();
  } catch {
    return undefined;
  }
}

function seconds(since: number): string {
  return `${((performance.now() - since) / 1000).toFixed(1)} s`;
}

const SYNAPSE_PIN = `matrix-synapse==${SYNAPSE_VERSION}`;

async function installedSynapseVersion(paths: InstallPaths): Promise<string | undefined> {
  if (!existsSync(paths.python)) return undefined;
  const r = await run(paths.python, [
    '-c',
    'import importlib.metadata as m, synapse; print(m.version("matrix-synapse"))',
  ]);
  return r.code === 0 ? r.stdout.trim() : undefined;
}

async function ensureSynapse(paths: InstallPaths, log: Log, logFile: string): Promise<void> {
  if ((await readMarker(paths.synapseMarker)) === SYNAPSE_PIN && existsSync(paths.python)) {
    log(`synapse: ${SYNAPSE_PIN} already installed in ${paths.venv}`);
    return;
  }
  const t0 = performance.now();
  const existing = await installedSynapseVersion(paths);
  if (existing === SYNAPSE_VERSION) {
    await writeFile(paths.synapseMarker, `${SYNAPSE_PIN}\n`);
    log(`synapse: found ${SYNAPSE_PIN} in ${paths.venv}, recorded it (${seconds(t0)})`);
    return;
  }

  const python = process.env['PYTHON'] ?? 'python3';
  const version = await run(python, ['-c', 'import sys; print("%d.%d" % sys.version_info[:2])']);
  if (version.code !== 0) {
    throw new MissingPrerequisiteError(
      `Python 3 is needed to install Synapse, but \`${python}\` did not run. ` +
        'Install it, e.g. `apt-get install python3 python3-venv` (or set PYTHON=/path/to/python3).',
    );
  }
  const [major = 0, minor = 0] = version.stdout.trim().split('.').map(Number);
  if (major !== 3 || minor < 10) {
    throw new MissingPrerequisiteError(
      `Synapse ${SYNAPSE_VERSION} needs Python >= 3.10, found ${version.stdout.trim()}. Install a newer python3.`,
    );
  }

  if (existsSync(paths.venv)) {
    log(`synapse: replacing ${paths.venv} (found ${existing ?? 'no usable Synapse'})`);
    await rm(paths.venv, { recursive: true, force: true });
  }
  let t = performance.now();
  log(`synapse: creating venv ${paths.venv} with ${python} ${version.stdout.trim()}`);
  const venv = await run(python, ['-m', 'venv', paths.venv], { logFile });
  if (venv.code !== 0 || !existsSync(join(paths.venv, 'bin', 'pip'))) {
    await rm(paths.venv, { recursive: true, force: true });
    throw new MissingPrerequisiteError(
      'Could not create a Python venv with pip. Install the venv module, e.g. ' +
        '`apt-get install python3-venv`.\n' +
        logTail(logFile, 5),
    );
  }
  log(`synapse: venv created (${seconds(t)})`);

  t = performance.now();
  log(`synapse: pip install ${SYNAPSE_PIN} (about 1-2 min; output in ${logFile})`);
  const pip = await run(
    join(paths.venv, 'bin', 'pip'),
    ['install', '--disable-pip-version-check', '--no-input', SYNAPSE_PIN],
    {
      logFile,
      heartbeat: () => {
        log(`synapse: pip still running (${seconds(t)})`);
      },
    },
  );
  if (pip.code !== 0) {
    throw new Error(
      `pip install ${SYNAPSE_PIN} failed. Last lines of ${logFile}:\n${logTail(logFile)}`,
    );
  }
  const installed = await installedSynapseVersion(paths);
  if (installed !== SYNAPSE_VERSION) {
    throw new Error(`after pip install, synapse reports version ${installed ?? 'none'}`);
  }
  await writeFile(paths.synapseMarker, `${SYNAPSE_PIN}\n`);
  log(`synapse: installed ${SYNAPSE_PIN} (${seconds(t)}; total ${seconds(t0)})`);
}

async function livekitBinaryVersion(binary: string): Promise<string | undefined> {
  if (!existsSync(binary)) return undefined;
  const r = await run(binary, ['--version']);
  return r.code === 0 ? /version\s+v?(\S+)/.exec(r.stdout)?.[1] : undefined;
}

async function ensureLivekit(paths: InstallPaths, log: Log, logFile: string): Promise<void> {
  const wanted = LIVEKIT_VERSION.replace(/^v/, '');
  const marker = await readMarker(paths.livekitMarker);
  if (marker === LIVEKIT_VERSION && (await livekitBinaryVersion(paths.livekitServer)) === wanted) {
    log(`livekit: livekit-server ${LIVEKIT_VERSION} already built at ${paths.livekitServer}`);
    return;
  }
  const t0 = performance.now();
  await mkdir(paths.bin, { recursive: true });
  // `go install …/cmd/server` names the binary `server`; adopt one of the right version.
  const goNamed = join(paths.bin, 'server');
  for (const candidate of [paths.livekitServer, goNamed]) {
    if ((await livekitBinaryVersion(candidate)) === wanted) {
      if (candidate !== paths.livekitServer) await rename(candidate, paths.livekitServer);
      await writeFile(paths.livekitMarker, `${LIVEKIT_VERSION}\n`);
      log(
        `livekit: found livekit-server ${LIVEKIT_VERSION} at ${candidate}, recorded it (${seconds(t0)})`,
      );
      return;
    }
  }

  const go = process.env['GO'] ?? 'go';
  const goVersion = await run(go, ['env', 'GOVERSION']);
  const m = /go(\d+)\.(\d+)/.exec(goVersion.stdout);
  const [needMajor, needMinor] = GO_MIN_VERSION;
  if (goVersion.code !== 0 || !m) {
    throw new MissingPrerequisiteError(
      `Go >= ${needMajor}.${needMinor} is needed to build LiveKit server ${LIVEKIT_VERSION}, but \`${go}\` did not run. ` +
        'Install Go from https://go.dev/dl/ (or set GO=/path/to/go).',
    );
  }
  const major = Number(m[1]);
  const minor = Number(m[2]);
  if (major < needMajor || (major === needMajor && minor < needMinor)) {
    throw new MissingPrerequisiteError(
      `LiveKit server ${LIVEKIT_VERSION} needs Go >= ${needMajor}.${needMinor}, found go${major}.${minor}. ` +
        'Install a newer Go from https://go.dev/dl/.',
    );
  }

  const buildDir = join(paths.bin, '.build');
  await rm(buildDir, { recursive: true, force: true });
  await mkdir(buildDir, { recursive: true });
  const t = performance.now();
  log(
    `livekit: building ${LIVEKIT_MODULE}@${LIVEKIT_VERSION} with go${major}.${minor} ` +
      `(CGO_ENABLED=0; about 4 min on 2 cores; output in ${logFile})`,
  );
  const build = await run(go, ['install', `${LIVEKIT_MODULE}@${LIVEKIT_VERSION}`], {
    env: { ...process.env, CGO_ENABLED: '0', GOBIN: buildDir },
    logFile,
    heartbeat: () => {
      log(`livekit: go install still running (${seconds(t)})`);
    },
  });
  const built = join(buildDir, 'server');
  if (build.code !== 0 || !existsSync(built)) {
    throw new Error(
      `go install of LiveKit server failed. Last lines of ${logFile}:\n${logTail(logFile)}`,
    );
  }
  await rename(built, paths.livekitServer);
  await rm(buildDir, { recursive: true, force: true });
  const version = await livekitBinaryVersion(paths.livekitServer);
  if (version !== wanted)
    throw new Error(`built livekit-server reports version ${version ?? 'none'}`);
  await writeFile(paths.livekitMarker, `${LIVEKIT_VERSION}\n`);
  log(`livekit: built livekit-server ${LIVEKIT_VERSION} (${seconds(t)})`);
}

/** Installs what is missing or stale. Safe to call every time; fast when cached. */
export async function ensureInstalled(
  log: Log = console.log,
  opts: InstallOptions = {},
): Promise<void> {
  const paths = installPaths(opts.installDir);
  const components = opts.components ?? ['synapse', 'livekit'];
  await mkdir(join(paths.root, 'logs'), { recursive: true });
  const logFile = join(paths.root, 'logs', 'install.log');
  if (components.includes('synapse')) await ensureSynapse(paths, log, logFile);
  if (components.includes('livekit')) await ensureLivekit(paths, log, logFile);
}
