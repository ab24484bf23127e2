/**
 * The local MatrixRTC stack: Synapse, LiveKit SFU and the auth service on 127.0.0.1.
 *
 *   const info = (await readStackInfo()) ?? (await startStack());
 *
 * Processes run detached in their own process groups, so a stack started here
 * outlives the caller; `stopStack()` stops it. Runtime files live under the instance
 * directory (default `<repo>/.stack`): run/<name>.pid, logs/<name>.log, data/, state.json.
 */
import { existsSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile, open } from 'node:fs/promises';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  DEFAULT_STACK_DIR,
  LIVEKIT_API_KEY,
  LIVEKIT_API_SECRET,
  REGISTRATION_SHARED_SECRET,
  REPO_ROOT,
  envFlag,
  installPaths,
  resolvePorts,
  stackPaths,
  type StackPaths,
  type StackPorts,
} from './config.js';
import { ensureInstalled, type Log } from './install.js';
import {
  assertPortsFree,
  httpOk,
  isAlive,
  isOurProcess,
  readPidFile,
  removeFile,
  spawnDetached,
  stopProcessGroup,
  waitForHealthy,
  writePidFile,
  type PortRequirement,
} from './process.js';
import { livekitConfig, synapseConfig, synapseLogConfig } from './service-configs.js';

export {
  ensureInstalled,
  MissingPrerequisiteError,
  type InstallOptions,
  type Log,
} from './install.js';
export { PortInUseError } from './process.js';
export { DEFAULT_PORTS, resolvePorts, type StackPorts } from './config.js';

export type ServiceName = 'synapse' | 'livekit' | 'auth';
export const SERVICE_NAMES: readonly ServiceName[] = ['synapse', 'livekit', 'auth'];

export interface StackInfo {
  /** Synapse client-server API base URL, e.g. `http://127.0.0.1:8008`. */
  homeserverUrl: string;
  /** Synapse server name, e.g. `localhost:8008` (user IDs are `@name:localhost:8008`). */
  serverName: string;
  /** MatrixRTC auth service (lk-jwt-service API), e.g. `http://127.0.0.1:6080`. */
  authServiceUrl: string;
  /** LiveKit signalling URL as handed to clients, e.g. `ws://127.0.0.1:7880`. */
  livekitUrl: string;
  livekitApiKey: string;
  livekitApiSecret: string;
  registrationSharedSecret: string;
  /** True if Synapse advertises no MatrixRTC transport. */
  noTransport: boolean;
  ports: StackPorts;
  /** Services running in this instance (normally all three). */
  services: ServiceName[];
  /** Instance directory (pid files, logs, data, state.json). */
  dataDir: string;
  pids: Partial<Record<ServiceName, number>>;
  logs: Partial<Record<ServiceName, string>>;
  startedAt: string;
}

export interface StartStackOptions {
  /** Port overrides; unset ones come from MC_*_PORT or the defaults. */
  ports?: Partial<StackPorts>;
  /** Advertise no MatrixRTC transport; default from MC_NO_TRANSPORT. */
  noTransport?: boolean;
  /** Instance directory; default `<repo>/.stack`. */
  dataDir?: string;
  /** Where Synapse and LiveKit are installed; default `<repo>/.stack`. */
  installDir?: string;
  /** Start only these (in order Synapse → LiveKit → auth); default all. */
  services?: readonly ServiceName[];
  /** Progress lines; default: none. */
  log?: Log;
  /** Per-service health timeout; default 90 s. */
  healthTimeoutMs?: number;
}

export interface StackLocation {
  dataDir?: string;
  log?: Log;
}

const PROCESS_MARKER: Record<ServiceName, string> = {
  synapse: 'synapse.app.homeserver',
  livekit: 'livekit-server',
  auth: 'auth-service/main.ts',
};

const noop: Log = () => undefined;

function describe(ports: StackPorts, noTransport: boolean, dataDir: string) {
  const serverName = `localhost:${ports.synapse}`;
  return {
    homeserverUrl: `http://127.0.0.1:${ports.synapse}`,
    serverName,
    authServiceUrl: `http://127.0.0.1:${ports.auth}`,
    livekitUrl: `ws://127.0.0.1:${ports.livekit}`,
    livekitApiKey: LIVEKIT_API_KEY,
    livekitApiSecret: LIVEKIT_API_SECRET,
    registrationSharedSecret: REGISTRATION_SHARED_SECRET,
    noTransport,
    ports,
    dataDir,
  };
}

function healthUrl(info: Pick<StackInfo, 'ports'>, name: ServiceName): string {
  switch (name) {
    case 'synapse':
      return `http://127.0.0.1:${info.ports.synapse}/health`;
    case 'livekit':
      return `http://127.0.0.1:${info.ports.livekit}/`;
    case 'auth':
      return `http://127.0.0.1:${info.ports.auth}/healthz`;
  }
}

function pidFile(paths: StackPaths, name: ServiceName): string {
  return join(paths.run, `${name}.pid`);
}

function logFile(paths: StackPaths, name: ServiceName): string {
  return join(paths.logs, `${name}.log`);
}

function isServiceProcess(pid: number, name: ServiceName, dataDir: string): boolean {
  return isOurProcess(pid, PROCESS_MARKER[name]) && isOurProcess(pid, dataDir);
}

async function readState(paths: StackPaths): Promise<StackInfo | undefined> {
  try {
    return JSON.parse(await readFile(paths.state, 'utf8')) as StackInfo;
  } catch {
    return undefined;
  }
}

/** The recorded stack, if every one of its services is alive and healthy; else undefined. */
export async function readStackInfo(opts: StackLocation = {}): Promise<StackInfo | undefined> {
  const paths = stackPaths(opts.dataDir ?? DEFAULT_STACK_DIR);
  const info = await readState(paths);
  if (!info) return undefined;
  for (const name of info.services) {
    const pid = info.pids[name];
    if (pid === undefined || !isServiceProcess(pid, name, paths.root)) return undefined;
    if (!(await httpOk(healthUrl(info, name), 2000))) return undefined;
  }
  return info;
}

export interface ServiceStatus {
  name: ServiceName;
  pid?: number;
  running: boolean;
  healthy: boolean;
  url: string;
  log: string;
}

/** Per-service view from the pid files (works for half-started stacks too). */
export async function stackStatus(opts: StackLocation = {}): Promise<ServiceStatus[]> {
  const paths = stackPaths(opts.dataDir ?? DEFAULT_STACK_DIR);
  const state = await readState(paths);
  const ports = state?.ports ?? resolvePorts();
  const out: ServiceStatus[] = [];
  for (const name of SERVICE_NAMES) {
    const pid = await readPidFile(pidFile(paths, name));
    const running = pid !== undefined && isServiceProcess(pid, name, paths.root);
    const url = healthUrl({ ports }, name);
    out.push({
      name,
      ...(pid === undefined ? {} : { pid }),
      running,
      healthy: running && (await httpOk(url, 2000)),
      url,
      log: logFile(paths, name),
    });
  }
  return out;
}

/** Stops every service recorded in the instance's pid files (auth → LiveKit → Synapse). */
export async function stopStack(opts: StackLocation = {}): Promise<void> {
  const log = opts.log ?? noop;
  const paths = stackPaths(opts.dataDir ?? DEFAULT_STACK_DIR);
  for (const name of [...SERVICE_NAMES].reverse()) {
    const file = pidFile(paths, name);
    const pid = await readPidFile(file);
    if (pid === undefined) continue;
    if (isServiceProcess(pid, name, paths.root)) {
      const t = performance.now();
      await stopProcessGroup(pid);
      if (isAlive(pid)) throw new Error(`${name} (pid ${pid}) did not exit`);
      log(`${name}: stopped pid ${pid} (${((performance.now() - t) / 1000).toFixed(1)} s)`);
    } else if (isAlive(pid)) {
      log(`${name}: pid ${pid} from ${file} is now another program; left alone`);
    }
    await removeFile(file);
  }
  await removeFile(paths.state);
}

/** Serialises start-ups of one instance across processes. */
async function withStartLock<T>(paths: StackPaths, fn: () => Promise<T>): Promise<T> {
  const lock = join(paths.run, 'start.lock');
  const deadline = Date.now() + 15 * 60_000; // a first install can take minutes
  for (;;) {
    try {
      const handle = await open(lock, 'wx');
      await handle.writeFile(`${process.pid}\n`);
      await handle.close();
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const holder = await readPidFile(lock);
      if (holder === undefined || !isAlive(holder)) {
        await rm(lock, { force: true });
        continue;
      }
      if (Date.now() > deadline)
        throw new Error(`timed out waiting for ${lock} (held by pid ${holder})`);
      await sleep(250);
    }
  }
  try {
    return await fn();
  } finally {
    await rm(lock, { force: true });
  }
}

function portRequirements(ports: StackPorts, services: readonly ServiceName[]): PortRequirement[] {
  const reqs: PortRequirement[] = [];
  if (services.includes('synapse')) {
    reqs.push({ port: ports.synapse, proto: 'tcp', host: '127.0.0.1', what: 'Synapse' });
  }
  if (services.includes('livekit')) {
    reqs.push(
      { port: ports.livekit, proto: 'tcp', host: '127.0.0.1', what: 'LiveKit' },
      // LiveKit's ICE/TCP mux listens on all addresses; the UDP mux on loopback.
      { port: ports.livekitTcp, proto: 'tcp', host: '0.0.0.0', what: 'LiveKit ICE/TCP' },
      { port: ports.livekitUdp, proto: 'udp', host: '127.0.0.1', what: 'LiveKit ICE/UDP' },
    );
  }
  if (services.includes('auth')) {
    reqs.push({ port: ports.auth, proto: 'tcp', host: '127.0.0.1', what: 'auth service' });
  }
  return reqs;
}

/**
 * Starts the stack (installing on first use) and returns where everything is. If a
 * healthy stack with the same settings is already recorded, returns it unchanged.
 */
export async function startStack(opts: StartStackOptions = {}): Promise<StackInfo> {
  const log = opts.log ?? noop;
  const dataDir = opts.dataDir ?? DEFAULT_STACK_DIR;
  const paths = stackPaths(dataDir);
  const ports = resolvePorts(opts.ports);
  const noTransport = opts.noTransport ?? envFlag('MC_NO_TRANSPORT');
  const services = SERVICE_NAMES.filter((s) => (opts.services ?? SERVICE_NAMES).includes(s));
  const healthTimeoutMs = opts.healthTimeoutMs ?? 90_000;
  await mkdir(paths.run, { recursive: true });
  await mkdir(paths.logs, { recursive: true });

  return withStartLock(paths, async () => {
    const running = await readStackInfo({ dataDir });
    if (running) {
      const same =
        running.noTransport === noTransport &&
        JSON.stringify(running.ports) === JSON.stringify(ports) &&
        services.every((s) => running.services.includes(s));
      if (!same) {
        throw new Error(
          `A stack with other settings is already running in ${dataDir} ` +
            `(ports ${JSON.stringify(running.ports)}, noTransport=${running.noTransport}, ` +
            `services ${running.services.join(',')}). Stop it first (npm run stack:down).`,
        );
      }
      log('stack: already running and healthy');
      return running;
    }
    // Leftovers of a crashed or half-finished start.
    await stopStack({ dataDir, log });

    // Fail fast on taken ports, before a possibly long install (and again right after it).
    await assertPortsFree(portRequirements(ports, services));
    const t0 = performance.now();
    const components: ('synapse' | 'livekit')[] = [];
    if (services.includes('synapse')) components.push('synapse');
    if (services.includes('livekit')) components.push('livekit');
    await ensureInstalled(log, {
      components,
      ...(opts.installDir === undefined ? {} : { installDir: opts.installDir }),
    });
    await assertPortsFree(portRequirements(ports, services));

    const base = describe(ports, noTransport, dataDir);
    const info: StackInfo = {
      ...base,
      services: [...services],
      pids: {},
      logs: {},
      startedAt: new Date().toISOString(),
    };
    const install = installPaths(opts.installDir);
    try {
      for (const name of services) {
        const t = performance.now();
        const file = logFile(paths, name);
        await writeFile(file, `--- ${new Date().toISOString()} starting ${name}\n`, { flag: 'a' });
        let pid: number;
        if (name === 'synapse') {
          const dir = synapseDataDir(info);
          await mkdir(join(dir, 'media'), { recursive: true });
          const configPath = join(dir, 'homeserver.yaml');
          const logConfigPath = join(dir, 'log.config.yaml');
          await writeFile(logConfigPath, JSON.stringify(synapseLogConfig(), null, 2));
          await writeFile(
            configPath,
            JSON.stringify(
              synapseConfig({
                port: ports.synapse,
                serverName: base.serverName,
                dir,
                authServiceUrl: noTransport ? undefined : base.authServiceUrl,
                logConfigPath,
              }),
              null,
              2,
            ),
          );
          pid = spawnDetached(install.python, ['-m', 'synapse.app.homeserver', '-c', configPath], {
            cwd: dir,
            env: { ...process.env, PYTHONUNBUFFERED: '1' },
            logFile: file,
          });
        } else if (name === 'livekit') {
          const configPath = join(paths.data, 'livekit.yaml');
          await mkdir(paths.data, { recursive: true });
          await writeFile(
            configPath,
            JSON.stringify(
              livekitConfig({
                port: ports.livekit,
                tcpPort: ports.livekitTcp,
                udpPort: ports.livekitUdp,
              }),
              null,
              2,
            ),
          );
          pid = spawnDetached(install.livekitServer, ['--config', configPath], {
            cwd: paths.data,
            env: process.env,
            logFile: file,
          });
        } else {
          const tsx = import.meta.resolve('tsx');
          const main = join(REPO_ROOT, 'stack', 'auth-service', 'main.ts');
          pid = spawnDetached(process.execPath, ['--import', tsx, main, '--stack-dir', dataDir], {
            cwd: REPO_ROOT,
            env: {
              ...process.env,
              LIVEKIT_URL: base.livekitUrl,
              LIVEKIT_KEY: LIVEKIT_API_KEY,
              LIVEKIT_SECRET: LIVEKIT_API_SECRET,
              LIVEKIT_JWT_BIND: `127.0.0.1:${ports.auth}`,
              LIVEKIT_FULL_ACCESS_HOMESERVERS: base.serverName,
              MC_HOMESERVER_URL_OVERRIDES: `${base.serverName}=${base.homeserverUrl}`,
            },
            logFile: file,
          });
        }
        info.pids[name] = pid;
        info.logs[name] = file;
        await writePidFile(pidFile(paths, name), pid);
        await waitForHealthy(name, healthUrl(info, name), pid, file, healthTimeoutMs);
        log(
          `${name}: healthy at ${healthUrl(info, name)} (pid ${pid}, ${((performance.now() - t) / 1000).toFixed(1)} s)`,
        );
      }
    } catch (err) {
      await stopStack({ dataDir, log }).catch(() => undefined);
      throw err;
    }
    await writeFile(paths.state, `${JSON.stringify(info, null, 2)}\n`);
    log(`stack: all healthy (${((performance.now() - t0) / 1000).toFixed(1)} s)`);
    return info;
  });
}

/** Synapse's directory (config, sqlite database, media, signing key) for a stack. */
export function synapseDataDir(info: Pick<StackInfo, 'dataDir' | 'serverName'>): string {
  const safeName = info.serverName.replace(/[^A-Za-z0-9.-]/g, '-');
  return join(stackPaths(info.dataDir).data, `synapse-${safeName}`);
}

/** True if the instance directory has any recorded state or pid files. */
export function hasStackFiles(dataDir: string = DEFAULT_STACK_DIR): boolean {
  const paths = stackPaths(dataDir);
  return existsSync(paths.state) || SERVICE_NAMES.some((n) => existsSync(pidFile(paths, n)));
}
