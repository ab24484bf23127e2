/** Process, port and health-check helpers for the local stack (Linux). */
import { spawn } from 'node:child_process';
import { closeSync, openSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { createSocket } from 'node:dgram';
import { setTimeout as sleep } from 'node:timers/promises';

// ---------------------------------------------------------------- ports

export interface PortRequirement {
  port: number;
  proto: 'tcp' | 'udp';
  /** Address the service will bind (LiveKit's ICE muxes bind the wildcard address). */
  host: string;
  /** What needs it, for the error message. */
  what: string;
}

export class PortInUseError extends Error {
  override readonly name = 'PortInUseError';
}

function canBindTcp(port: number, host: string): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => {
      resolve(false);
    });
    server.listen({ port, host, exclusive: true }, () => {
      server.close(() => {
        resolve(true);
      });
    });
  });
}

function canBindUdp(port: number, host: string): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createSocket('udp4');
    socket.once('error', () => {
      socket.close();
      resolve(false);
    });
    socket.bind({ port, address: host, exclusive: true }, () => {
      socket.close(() => {
        resolve(true);
      });
    });
  });
}

/** Best effort "pid 123 (livekit-server --config …)" for whoever holds a port. */
export function describePortHolder(port: number, proto: 'tcp' | 'udp'): string | undefined {
  const hexPort = port.toString(16).toUpperCase().padStart(4, '0');
  const inodes = new Set<string>();
  for (const file of proto === 'tcp' ? ['tcp', 'tcp6'] : ['udp', 'udp6']) {
    let text: string;
    try {
      text = readFileSync(`/proc/net/${file}`, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/);
      const local = cols[1];
      const state = cols[3];
      const inode = cols[9];
      if (!local || !inode || inode === '0') continue;
      if (!local.endsWith(`:${hexPort}`)) continue;
      if (proto === 'tcp' && state !== '0A') continue; // LISTEN
      inodes.add(inode);
    }
  }
  if (inodes.size === 0) return undefined;
  for (const pid of listPids()) {
    let fds: string[];
    try {
      fds = readdirSync(`/proc/${pid}/fd`);
    } catch {
      continue;
    }
    for (const fd of fds) {
      let target: string;
      try {
        target = readlinkSync(`/proc/${pid}/fd/${fd}`);
      } catch {
        continue;
      }
      const m = /^socket:\[(\d+)\]$/.exec(target);
      if (m?.[1] && inodes.has(m[1])) {
        return `pid ${pid} (${processCommand(pid) ?? 'unknown command'})`;
      }
    }
  }
  return 'a process this user cannot inspect';
}

/** Throws PortInUseError naming every busy port and its holder; starts nothing. */
export async function assertPortsFree(requirements: readonly PortRequirement[]): Promise<void> {
  const problems: string[] = [];
  for (const r of requirements) {
    const free =
      r.proto === 'tcp' ? await canBindTcp(r.port, r.host) : await canBindUdp(r.port, r.host);
    if (!free) {
      const holder = describePortHolder(r.port, r.proto) ?? 'an unknown process';
      problems.push(`  ${r.proto} ${r.host}:${r.port} (${r.what}) is held by ${holder}`);
    }
  }
  if (problems.length > 0) {
    throw new PortInUseError(
      `Port(s) already in use, nothing was started:\n${problems.join('\n')}\n` +
        'Stop that process, or choose other ports (MC_SYNAPSE_PORT, MC_LIVEKIT_PORT, ' +
        'MC_LIVEKIT_TCP_PORT, MC_LIVEKIT_UDP_PORT, MC_AUTH_PORT).',
    );
  }
}

// ---------------------------------------------------------------- processes

function listPids(): number[] {
  return readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name))
    .map(Number);
}

export function processCommand(pid: number): string | undefined {
  try {
    const raw = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    const cmd = raw.split('\0').filter(Boolean).join(' ');
    return cmd.length > 160 ? `${cmd.slice(0, 157)}...` : cmd;
  } catch {
    return undefined;
  }
}

/** True if the process exists and is not a zombie. */
export function isAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state !== 'Z' && state !== 'X';
  } catch {
    return false;
  }
}

/** True if `pid` is alive and its command line contains `marker` (guards against PID reuse). */
export function isOurProcess(pid: number, marker: string): boolean {
  if (!isAlive(pid)) return false;
  const cmd = readFileSafe(`/proc/${pid}/cmdline`)?.split('\0').join(' ');
  return cmd?.includes(marker) ?? false;
}

function readFileSafe(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

export interface SpawnOptions {
  cwd: string;
  env: NodeJS.ProcessEnv;
  logFile: string;
}

/**
 * Starts a process in its own process group (so it outlives the caller and can be
 * stopped as a group), with stdout and stderr appended to `logFile`.
 */
export function spawnDetached(
  command: string,
  args: readonly string[],
  opts: SpawnOptions,
): number {
  const fd = openSync(opts.logFile, 'a');
  try {
    const child = spawn(command, args, {
      cwd: opts.cwd,
      env: opts.env,
      detached: true,
      stdio: ['ignore', fd, fd],
    });
    if (child.pid === undefined) throw new Error(`could not start ${command}`);
    child.unref();
    return child.pid;
  } finally {
    closeSync(fd);
  }
}

/** SIGTERM the process group, wait up to `graceMs`, then SIGKILL. Resolves once gone. */
export async function stopProcessGroup(pid: number, graceMs = 10_000): Promise<void> {
  const signal = (sig: NodeJS.Signals) => {
    try {
      process.kill(-pid, sig);
    } catch {
      try {
        process.kill(pid, sig);
      } catch {
        // already gone
      }
    }
  };
  if (!isAlive(pid)) return;
  signal('SIGTERM');
  // A paused (SIGSTOPped) service only acts on the SIGTERM once continued.
  signal('SIGCONT');
  const deadline = Date.now() + graceMs;
  // LiveKit drains on the first signal, waiting for its rooms to empty (10 s when a call
  // just ended); a second signal makes it stop at once.
  let repeated = false;
  const repeatAt = Date.now() + 1000;
  while (isAlive(pid) && Date.now() < deadline) {
    if (!repeated && Date.now() > repeatAt) {
      repeated = true;
      signal('SIGTERM');
    }
    await sleep(50);
  }
  if (isAlive(pid)) {
    signal('SIGKILL');
    const killDeadline = Date.now() + 5000;
    while (isAlive(pid) && Date.now() < killDeadline) await sleep(50);
  }
}

export async function readPidFile(path: string): Promise<number | undefined> {
  try {
    const pid = Number((await readFile(path, 'utf8')).trim());
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

export async function writePidFile(path: string, pid: number): Promise<void> {
  await writeFile(path, `${pid}\n`);
}

export async function removeFile(path: string): Promise<void> {
  await rm(path, { force: true });
}

/** Last `lines` lines of a log file, for error messages. */
export function logTail(path: string, lines = 15): string {
  const text = readFileSafe(path);
  if (!text) return '(log empty)';
  return text.trimEnd().split('\n').slice(-lines).join('\n');
}

// ---------------------------------------------------------------- health

/** One GET with a timeout; true on a 2xx answer. */
export async function httpOk(url: string, timeoutMs = 2000): Promise<boolean> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
    await res.arrayBuffer();
    return res.ok;
  } catch {
    return false;
  }
}

/**
 * Polls `url` until it answers 2xx. Fails early if `pid` dies, and after `timeoutMs`.
 * Errors include the tail of `logFile`.
 */
export async function waitForHealthy(
  what: string,
  url: string,
  pid: number,
  logFile: string,
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await httpOk(url, 1000)) return;
    if (!isAlive(pid)) {
      throw new Error(
        `${what} exited during start-up. Last log lines (${logFile}):\n${logTail(logFile)}`,
      );
    }
    if (Date.now() > deadline) {
      throw new Error(
        `${what} was not healthy at ${url} after ${timeoutMs} ms. Last log lines (${logFile}):\n${logTail(logFile)}`,
      );
    }
    await sleep(100);
  }
}

// ---------------------------------------------------------------- free ports

const handedOut = new Set<number>();

function probe(proto: 'tcp' | 'udp'): Promise<number> {
  return new Promise((resolve, reject) => {
    if (proto === 'tcp') {
      const server = createServer();
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => {
        const address = server.address();
        const port = typeof address === 'object' && address ? address.port : 0;
        server.close(() => {
          resolve(port);
        });
      });
    } else {
      const socket = createSocket('udp4');
      socket.once('error', reject);
      socket.bind(0, '127.0.0.1', () => {
        const { port } = socket.address();
        socket.close(() => {
          resolve(port);
        });
      });
    }
  });
}

/** A port free a moment ago (TCP on 127.0.0.1, and on all addresses; or UDP), never the same twice. */
export async function freePort(proto: 'tcp' | 'udp' = 'tcp'): Promise<number> {
  for (;;) {
    const port = await probe(proto);
    if (handedOut.has(port)) continue;
    const free =
      proto === 'tcp'
        ? (await canBindTcp(port, '0.0.0.0')) && (await canBindUdp(port, '127.0.0.1'))
        : await canBindTcp(port, '127.0.0.1');
    if (!free) continue;
    handedOut.add(port);
    return port;
  }
}
