/**
 * Fault controls for tests on a running stack: homeserver latency and drops (through the
 * homeserver proxy), pausing a service (SIGSTOP/SIGCONT: a stalled homeserver), and killing
 * a service and starting it again on the same ports (an SFU restart).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { HomeserverFaults, ProxyStats } from './homeserver-proxy/proxy.js';
import type { Log } from './install.js';
import { isAlive } from './process.js';
import {
  isServiceProcess,
  serviceKind,
  startService,
  writeServiceConfig,
  deploymentOf,
  serviceDeployment,
} from './services.js';
import type { DeploymentId, ServiceName, StackInfo } from './stack-info.js';
import { writeState } from './state.js';

function proxyControlUrl(info: StackInfo, deployment: DeploymentId, path: string): string {
  const proxy = deploymentOf(info, deployment).homeserverProxy;
  if (!proxy) {
    throw new Error(
      `Deployment ${deployment} runs no homeserver proxy: start the stack with homeserverProxy ` +
        '(or npm run stack -- --hs-proxy).',
    );
  }
  return `${proxy.url}/_mc_proxy/${path}`;
}

async function control<T>(url: string, init: RequestInit = {}): Promise<T> {
  const res = await fetch(url, { ...init, signal: AbortSignal.timeout(5000) });
  const body = (await res.json()) as T & { error?: string };
  if (!res.ok) throw new Error(`homeserver proxy: ${body.error ?? `HTTP ${res.status}`}`);
  return body;
}

/**
 * Changes the homeserver proxy's faults at once (given fields only; the others stay), e.g.
 * `setHomeserverFaults(info, { latencyMs: 300, dropPercent: 5 })`. Returns the new setting.
 */
export function setHomeserverFaults(
  info: StackInfo,
  faults: Partial<HomeserverFaults>,
  deployment: DeploymentId = 'a',
): Promise<HomeserverFaults> {
  return control<HomeserverFaults>(proxyControlUrl(info, deployment, 'faults'), {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(faults),
  });
}

/** Counters of the homeserver proxy since it started. */
export function homeserverProxyStats(
  info: StackInfo,
  deployment: DeploymentId = 'a',
): Promise<ProxyStats> {
  return control<ProxyStats>(proxyControlUrl(info, deployment, 'stats'));
}

function runningPid(info: StackInfo, name: ServiceName): number {
  const pid = info.pids[name];
  if (pid === undefined || !isServiceProcess(pid, name, info.dataDir)) {
    throw new Error(`${name} is not running in ${info.dataDir}`);
  }
  return pid;
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    process.kill(pid, signal);
  }
}

/** Freezes a service (SIGSTOP to its process group): it keeps its ports but answers nothing. */
export function pauseService(info: StackInfo, name: ServiceName): void {
  signalGroup(runningPid(info, name), 'SIGSTOP');
}

/** Continues a service paused with pauseService (SIGCONT). */
export function resumeService(info: StackInfo, name: ServiceName): void {
  signalGroup(runningPid(info, name), 'SIGCONT');
}

/** Pauses a service for `ms`, then resumes it; resolves once resumed. */
export async function withServicePaused(
  info: StackInfo,
  name: ServiceName,
  ms: number,
): Promise<void> {
  pauseService(info, name);
  try {
    await sleep(ms);
  } finally {
    resumeService(info, name);
  }
}

export interface RestartOptions {
  /** How long the service stays down; default 0. */
  downMs?: number;
  /** SIGKILL (default: a crash, no graceful drain) or SIGTERM. */
  signal?: 'SIGKILL' | 'SIGTERM';
  /** Health timeout after the new start; default 60 s. */
  healthTimeoutMs?: number;
  log?: Log;
}

/**
 * Kills a service, waits `downMs`, and starts it again with the same config and ports.
 * Updates `info.pids` and the recorded state; resolves once it is healthy again. LiveKit
 * keeps no state across a restart: its rooms are gone.
 */
export async function restartService(
  info: StackInfo,
  name: ServiceName,
  opts: RestartOptions = {},
): Promise<number> {
  const pid = runningPid(info, name);
  signalGroup(pid, 'SIGCONT'); // a paused process would not act on SIGTERM
  signalGroup(pid, opts.signal ?? 'SIGKILL');
  const deadline = Date.now() + 15_000;
  while (isAlive(pid)) {
    if (Date.now() > deadline) throw new Error(`${name} (pid ${pid}) did not exit`);
    await sleep(20);
  }
  if (opts.downMs) await sleep(opts.downMs);
  await writeServiceConfig(info, deploymentOf(info, serviceDeployment(name)), serviceKind(name));
  const next = await startService(
    info,
    name,
    opts.healthTimeoutMs ?? 60_000,
    opts.log ?? (() => undefined),
  );
  await writeState(info);
  return next;
}
