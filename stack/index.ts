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
import { mkdir, open, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  DEFAULT_STACK_DIR,
  envFlag,
  resolvePorts,
  stackPaths,
  type StackPaths,
  type StackPorts,
} from './config.js';
import {
  FEDERATED_STACK_DIR,
  deploymentKinds,
  planDeployments,
  portRequirements,
  type StartStackOptions,
} from './deployments.js';
import { ensureInstalled, type Log } from './install.js';
import { readState, writeState } from './state.js';
import {
  assertPortsFree,
  httpOk,
  isAlive,
  readPidFile,
  removeFile,
  stopProcessGroup,
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
  tlsPaths,
  writeServiceConfig,
} from './services.js';
import { generateLocalTls } from './tls.js';
import type { DeploymentInfo, ServiceName, StackInfo } from './stack-info.js';

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
  DEFAULT_ROOM_CREATION_LIMIT_PER_MINUTE,
  FEDERATED_STACK_DIR,
  NOBODY,
  type AuthOptions,
  type FederationOptions,
  type ProxyOptions,
  type StartStackOptions,
} from './deployments.js';
export { setFullAccessHomeservers } from './auth-settings.js';
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

/**
 * Starts the stack (installing on first use) and returns where everything is. If a
 * healthy stack with the same settings is already recorded, returns it unchanged.
 */
export async function startStack(opts: StartStackOptions = {}): Promise<StackInfo> {
  const log = opts.log ?? noop;
  const federated = Boolean(opts.federated);
  const dataDir = opts.dataDir ?? (federated ? FEDERATED_STACK_DIR : DEFAULT_STACK_DIR);
  const paths = stackPaths(dataDir);
  const noTransport = opts.noTransport ?? envFlag('MC_NO_TRANSPORT');
  const healthTimeoutMs = opts.healthTimeoutMs ?? 90_000;
  await mkdir(paths.run, { recursive: true });
  await mkdir(paths.logs, { recursive: true });

  return withStartLock(paths, async () => {
    const running = await readStackInfo({ dataDir });
    if (running) {
      assertSameSettings(running, opts, noTransport, dataDir);
      log('stack: already running and healthy');
      return running;
    }
    // Leftovers of a crashed or half-finished start.
    await stopStack({ dataDir, log });

    const deployments = await planDeployments(opts);
    const kinds = new Map(deployments.map((d) => [d.id, deploymentKinds(d, opts.services)]));
    const requirements = deployments.flatMap((d) => portRequirements(d, kinds.get(d.id) ?? []));
    // Fail fast on taken ports, before a possibly long install (and again right after it).
    await assertPortsFree(requirements);
    const t0 = performance.now();
    const all = [...kinds.values()].flat();
    const components: ('synapse' | 'livekit')[] = [];
    if (all.includes('synapse')) components.push('synapse');
    if (all.includes('livekit')) components.push('livekit');
    await ensureInstalled(log, {
      components,
      ...(opts.installDir === undefined ? {} : { installDir: opts.installDir }),
    });
    await assertPortsFree(requirements);

    const [a, b] = deployments as [DeploymentInfo, DeploymentInfo | undefined];
    const { id: _id, ...top } = a;
    const info: StackInfo = {
      ...top,
      noTransport,
      services: deployments.flatMap((d) =>
        (kinds.get(d.id) ?? []).map((k) => serviceName(k, d.id)),
      ),
      dataDir,
      installDir: opts.installDir ?? DEFAULT_STACK_DIR,
      pids: {},
      logs: {},
      startedAt: new Date().toISOString(),
      ...(b ? { federation: { caFile: tlsPaths(dataDir).ca, a, b } } : {}),
    };
    try {
      if (info.federation) {
        // New ports mean new server names: earlier homeservers' data is of no use.
        await removeSynapseData(dataDir);
        await generateLocalTls(tlsPaths(dataDir));
      }
      // Deployments start side by side; within one, in order (Synapse first).
      await Promise.all(
        deployments.map(async (d) => {
          for (const kind of kinds.get(d.id) ?? []) {
            await writeServiceConfig(info, d, kind);
            await startService(info, serviceName(kind, d.id), healthTimeoutMs, log);
          }
        }),
      );
    } catch (err) {
      await stopStack({ dataDir, log }).catch(() => undefined);
      throw err;
    }
    await writeState(info);
    log(`stack: all healthy (${((performance.now() - t0) / 1000).toFixed(1)} s)`);
    return info;
  });
}

async function removeSynapseData(dataDir: string): Promise<void> {
  const dir = stackPaths(dataDir).data;
  const entries = await readdir(dir).catch(() => [] as string[]);
  for (const entry of entries.filter((e) => e.startsWith('synapse-')))
    await rm(join(dir, entry), { recursive: true, force: true });
}

function assertSameSettings(
  running: StackInfo,
  opts: StartStackOptions,
  noTransport: boolean,
  dataDir: string,
): void {
  const problems: string[] = [];
  if (running.noTransport !== noTransport) problems.push(`noTransport=${running.noTransport}`);
  if (Boolean(opts.federated) !== Boolean(running.federation))
    problems.push(running.federation ? 'federated' : 'not federated');
  if (opts.federated) {
    for (const [key, port] of Object.entries(opts.ports ?? {}))
      if (running.ports[key as keyof StackPorts] !== port) problems.push(`ports.${key}`);
  } else if (JSON.stringify(running.ports) !== JSON.stringify(resolvePorts(opts.ports))) {
    problems.push(`ports ${JSON.stringify(running.ports)}`);
  }
  if (
    opts.homeserverProxy !== undefined &&
    (opts.homeserverProxy !== false) !== (running.homeserverProxy !== undefined)
  )
    problems.push(`homeserver proxy ${running.homeserverProxy ? 'on' : 'off'}`);
  for (const k of opts.services ?? SERVICE_NAMES)
    if (!running.services.includes(k)) problems.push(`services ${running.services.join(',')}`);
  if (problems.length > 0) {
    throw new Error(
      `A stack with other settings is already running in ${dataDir} (${problems.join('; ')}). ` +
        'Stop it first (npm run stack:down).',
    );
  }
}

/** True if the instance directory has any recorded state or pid files. */
export function hasStackFiles(dataDir: string = DEFAULT_STACK_DIR): boolean {
  const paths = stackPaths(dataDir);
  return existsSync(paths.state) || ALL_SERVICE_NAMES.some((n) => existsSync(pidFile(dataDir, n)));
}
