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
import { mkdir, rm, open } from 'node:fs/promises';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  DEFAULT_STACK_DIR,
  LIVEKIT_API_KEY,
  LIVEKIT_API_SECRET,
  REGISTRATION_SHARED_SECRET,
  envFlag,
  resolvePorts,
  stackPaths,
  type StackPaths,
  type StackPorts,
} from './config.js';
import { NO_FAULTS, mergeFaults, type HomeserverFaults } from './homeserver-proxy/proxy.js';
import { ensureInstalled, type Log } from './install.js';
import { readState, writeState } from './state.js';
import {
  assertPortsFree,
  httpOk,
  isAlive,
  readPidFile,
  removeFile,
  stopProcessGroup,
  type PortRequirement,
} from './process.js';
import {
  ALL_SERVICE_NAMES,
  deploymentOf,
  healthUrl,
  isServiceProcess,
  logFile,
  pidFile,
  serviceDeployment,
  serviceKind,
  serviceName,
  startService,
  writeServiceConfig,
} from './services.js';
import type { DeploymentInfo, ServiceKind, ServiceName, StackInfo } from './stack-info.js';

export {
  ensureInstalled,
  MissingPrerequisiteError,
  type InstallOptions,
  type Log,
} from './install.js';
export { PortInUseError } from './process.js';
export { DEFAULT_PORTS, resolvePorts, type StackPorts } from './config.js';
export { synapseDataDir, deploymentOf } from './services.js';
export type {
  DeploymentId,
  DeploymentInfo,
  FederationInfo,
  HomeserverProxyInfo,
  ServiceKind,
  ServiceName,
  StackInfo,
} from './stack-info.js';
export { DROP_MODES, type DropMode, type HomeserverFaults } from './homeserver-proxy/proxy.js';
export {
  homeserverProxyStats,
  pauseService,
  restartService,
  resumeService,
  setHomeserverFaults,
  withServicePaused,
} from './faults.js';

/** The services of a normal stack, in start order. */
export const SERVICE_NAMES: readonly ServiceName[] = ['synapse', 'livekit', 'auth'];

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
  /**
   * Put the latency and fault proxy in front of Synapse's client API: `homeserverUrl` (and
   * .well-known) then point at it. `true` starts it without faults. Its port: `port`, else
   * `MC_HS_PROXY_PORT`, else Synapse's port + 1. Faults change at runtime with
   * setHomeserverFaults(). Default: no proxy.
   */
  homeserverProxy?: boolean | (Partial<HomeserverFaults> & { port?: number });
  /** Auth service options beyond lk-jwt-service. */
  auth?: AuthOptions;
  /** Progress lines; default: none. */
  log?: Log;
  /** Per-service health timeout; default 90 s. */
  healthTimeoutMs?: number;
}

export interface AuthOptions {
  /**
   * Check with the homeserver (admin API, through the `@mc-auth-service` admin the stack
   * creates) that a user is joined to the room before issuing a token; default true.
   */
  membershipCheck?: boolean;
  /** LiveKit rooms one user may have the auth service create per minute; default 20, 0 = no cap. */
  roomCreationLimitPerMinute?: number;
}

export const DEFAULT_ROOM_CREATION_LIMIT_PER_MINUTE = 20;

export interface StackLocation {
  dataDir?: string;
  log?: Log;
}

const noop: Log = () => undefined;

function serviceHealthUrl(info: StackInfo, name: ServiceName): string {
  return healthUrl(deploymentOf(info, serviceDeployment(name)), serviceKind(name));
}

/** The recorded stack, if every one of its services is alive and healthy; else undefined. */
export async function readStackInfo(opts: StackLocation = {}): Promise<StackInfo | undefined> {
  const paths = stackPaths(opts.dataDir ?? DEFAULT_STACK_DIR);
  const info = await readState(paths.root);
  if (!info) return undefined;
  for (const name of info.services) {
    const pid = info.pids[name];
    if (pid === undefined || !isServiceProcess(pid, name, paths.root)) return undefined;
    if (!(await httpOk(serviceHealthUrl(info, name), 2000))) return undefined;
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
  const dataDir = opts.dataDir ?? DEFAULT_STACK_DIR;
  const state = await readState(dataDir);
  const withPidFiles = ALL_SERVICE_NAMES.filter((n) => existsSync(pidFile(dataDir, n)));
  const names = state?.services ?? (withPidFiles.length > 0 ? withPidFiles : SERVICE_NAMES);
  const out: ServiceStatus[] = [];
  for (const name of names) {
    const pid = await readPidFile(pidFile(dataDir, name));
    const running = pid !== undefined && isServiceProcess(pid, name, dataDir);
    const url = state ? serviceHealthUrl(state, name) : defaultHealthUrl(name);
    out.push({
      name,
      ...(pid === undefined ? {} : { pid }),
      running,
      healthy: running && (await httpOk(url, 2000)),
      url,
      log: logFile(dataDir, name),
    });
  }
  return out;
}

function defaultHealthUrl(name: ServiceName): string {
  const ports = resolvePorts();
  const kind = serviceKind(name);
  if (kind === 'proxy') return `http://127.0.0.1:${ports.synapse + 1}/_mc_proxy/health`;
  return healthUrl({ id: 'a', ports }, kind);
}

/** Stops every service recorded in the instance's pid files (in reverse start order). */
export async function stopStack(opts: StackLocation = {}): Promise<void> {
  const log = opts.log ?? noop;
  const dataDir = opts.dataDir ?? DEFAULT_STACK_DIR;
  const paths = stackPaths(dataDir);
  for (const name of [...ALL_SERVICE_NAMES].reverse()) {
    const file = pidFile(dataDir, name);
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

function portRequirements(d: DeploymentInfo, kinds: readonly ServiceKind[]): PortRequirement[] {
  const suffix = d.id === 'a' ? '' : ' (B)';
  const reqs: PortRequirement[] = [];
  const tcp = (port: number, what: string) =>
    reqs.push({ port, proto: 'tcp', host: '127.0.0.1', what: `${what}${suffix}` });
  if (kinds.includes('synapse')) {
    tcp(d.ports.synapse, 'Synapse');
    if (d.federationUrl) tcp(Number(new URL(d.federationUrl).port), 'Synapse federation');
  }
  if (kinds.includes('proxy') && d.homeserverProxy) tcp(d.homeserverProxy.port, 'homeserver proxy');
  if (kinds.includes('livekit')) {
    tcp(d.ports.livekit, 'LiveKit');
    // LiveKit's ICE/TCP mux listens on all addresses; the UDP mux on loopback.
    reqs.push(
      { port: d.ports.livekitTcp, proto: 'tcp', host: '0.0.0.0', what: `LiveKit ICE/TCP${suffix}` },
      {
        port: d.ports.livekitUdp,
        proto: 'udp',
        host: '127.0.0.1',
        what: `LiveKit ICE/UDP${suffix}`,
      },
    );
  }
  if (kinds.includes('auth')) tcp(d.ports.auth, 'auth service');
  return reqs;
}

function proxyPort(opts: StartStackOptions, ports: StackPorts): number {
  const explicit = typeof opts.homeserverProxy === 'object' ? opts.homeserverProxy.port : undefined;
  const raw = explicit ?? process.env['MC_HS_PROXY_PORT'];
  if (raw === undefined || raw === '') return ports.synapse + 1;
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 1 || port > 65535)
    throw new Error(`homeserver proxy port ${JSON.stringify(raw)} is not a port number`);
  return port;
}

function initialFaults(opts: StartStackOptions): HomeserverFaults {
  if (typeof opts.homeserverProxy !== 'object') return { ...NO_FAULTS };
  const { port: _port, ...faults } = opts.homeserverProxy;
  return mergeFaults({ ...NO_FAULTS }, faults);
}

/** Deployment A of a normal stack. */
function defaultDeployment(ports: StackPorts, opts: StartStackOptions): DeploymentInfo {
  const serverName = `localhost:${ports.synapse}`;
  const synapseUrl = `http://127.0.0.1:${ports.synapse}`;
  const wantProxy = opts.homeserverProxy !== undefined && opts.homeserverProxy !== false;
  const port = wantProxy ? proxyPort(opts, ports) : 0;
  const proxy = wantProxy
    ? { url: `http://127.0.0.1:${port}`, port, initialFaults: initialFaults(opts) }
    : undefined;
  return {
    id: 'a',
    homeserverUrl: proxy?.url ?? synapseUrl,
    synapseUrl,
    serverName,
    authServiceUrl: `http://127.0.0.1:${ports.auth}`,
    livekitUrl: `ws://127.0.0.1:${ports.livekit}`,
    livekitApiKey: LIVEKIT_API_KEY,
    livekitApiSecret: LIVEKIT_API_SECRET,
    registrationSharedSecret: REGISTRATION_SHARED_SECRET,
    ports,
    fullAccessHomeservers: [serverName],
    membershipCheck: opts.auth?.membershipCheck ?? true,
    roomCreationLimitPerMinute:
      opts.auth?.roomCreationLimitPerMinute ?? DEFAULT_ROOM_CREATION_LIMIT_PER_MINUTE,
    ...(proxy ? { homeserverProxy: proxy } : {}),
  };
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
  const kinds = (['synapse', 'proxy', 'livekit', 'auth'] as const).filter((k) =>
    k === 'proxy'
      ? opts.homeserverProxy !== undefined && opts.homeserverProxy !== false
      : (opts.services ?? SERVICE_NAMES).includes(k),
  );
  const healthTimeoutMs = opts.healthTimeoutMs ?? 90_000;
  await mkdir(paths.run, { recursive: true });
  await mkdir(paths.logs, { recursive: true });

  return withStartLock(paths, async () => {
    const running = await readStackInfo({ dataDir });
    if (running) {
      const proxyMismatch =
        opts.homeserverProxy !== undefined &&
        (opts.homeserverProxy !== false) !== (running.homeserverProxy !== undefined);
      const same =
        running.noTransport === noTransport &&
        JSON.stringify(running.ports) === JSON.stringify(ports) &&
        !proxyMismatch &&
        kinds.every((k) => running.services.includes(k));
      if (!same) {
        throw new Error(
          `A stack with other settings is already running in ${dataDir} ` +
            `(ports ${JSON.stringify(running.ports)}, noTransport=${running.noTransport}, ` +
            `homeserver proxy ${running.homeserverProxy ? 'on' : 'off'}, ` +
            `services ${running.services.join(',')}). Stop it first (npm run stack:down).`,
        );
      }
      log('stack: already running and healthy');
      return running;
    }
    // Leftovers of a crashed or half-finished start.
    await stopStack({ dataDir, log });

    const a = defaultDeployment(ports, opts);
    // Fail fast on taken ports, before a possibly long install (and again right after it).
    await assertPortsFree(portRequirements(a, kinds));
    const t0 = performance.now();
    const components: ('synapse' | 'livekit')[] = [];
    if (kinds.includes('synapse')) components.push('synapse');
    if (kinds.includes('livekit')) components.push('livekit');
    await ensureInstalled(log, {
      components,
      ...(opts.installDir === undefined ? {} : { installDir: opts.installDir }),
    });
    await assertPortsFree(portRequirements(a, kinds));

    const { id: _id, ...top } = a;
    const info: StackInfo = {
      ...top,
      noTransport,
      services: kinds.map((k) => serviceName(k, 'a')),
      dataDir,
      installDir: opts.installDir ?? DEFAULT_STACK_DIR,
      pids: {},
      logs: {},
      startedAt: new Date().toISOString(),
    };
    try {
      for (const name of info.services) {
        await writeServiceConfig(info, a, serviceKind(name));
        await startService(info, name, healthTimeoutMs, log);
      }
    } catch (err) {
      await stopStack({ dataDir, log }).catch(() => undefined);
      throw err;
    }
    await writeState(info);
    log(`stack: all healthy (${((performance.now() - t0) / 1000).toFixed(1)} s)`);
    return info;
  });
}

/** True if the instance directory has any recorded state or pid files. */
export function hasStackFiles(dataDir: string = DEFAULT_STACK_DIR): boolean {
  const paths = stackPaths(dataDir);
  return existsSync(paths.state) || ALL_SERVICE_NAMES.some((n) => existsSync(pidFile(dataDir, n)));
}
