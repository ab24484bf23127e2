/** Pins, defaults, ports and paths of the local stack. */
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const SYNAPSE_VERSION = '1.163.2';
export const LIVEKIT_VERSION = 'v1.13.5';
export const LIVEKIT_MODULE = 'github.com/livekit/livekit-server/cmd/server';
/** Go version LiveKit v1.13.5's go.mod requires. */
export const GO_MIN_VERSION = [1, 26] as const;

/** Local-only credentials. Never use these anywhere but on loopback. */
export const LIVEKIT_API_KEY = 'devkey';
export const LIVEKIT_API_SECRET = 'matrix-call-local-stack-livekit-secret-not-for-production';
export const REGISTRATION_SHARED_SECRET = 'test-only-shared-secret';

export const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url));
export const DEFAULT_STACK_DIR = join(REPO_ROOT, '.stack');

export interface StackPorts {
  /** Synapse client API + openid resource (http). */
  synapse: number;
  /** LiveKit signalling / server API (ws + http). */
  livekit: number;
  /** LiveKit ICE over TCP. */
  livekitTcp: number;
  /** LiveKit ICE over UDP (single mux port). */
  livekitUdp: number;
  /** MatrixRTC auth service (lk-jwt-service API). */
  auth: number;
}

export const DEFAULT_PORTS: Readonly<StackPorts> = {
  synapse: 8008,
  livekit: 7880,
  livekitTcp: 7881,
  livekitUdp: 7882,
  auth: 6080,
};

const PORT_ENV: Record<keyof StackPorts, string> = {
  synapse: 'MC_SYNAPSE_PORT',
  livekit: 'MC_LIVEKIT_PORT',
  livekitTcp: 'MC_LIVEKIT_TCP_PORT',
  livekitUdp: 'MC_LIVEKIT_UDP_PORT',
  auth: 'MC_AUTH_PORT',
};

function parsePort(raw: string, what: string): number {
  const n = Number(raw);
  if (!/^\d+$/.test(raw.trim()) || !Number.isInteger(n) || n < 1 || n > 65535) {
    throw new Error(`${what}=${JSON.stringify(raw)} is not a port number (1-65535)`);
  }
  return n;
}

/** Ports: explicit options, then `MC_*_PORT` environment variables, then defaults. */
export function resolvePorts(
  overrides: Partial<StackPorts> = {},
  env: NodeJS.ProcessEnv = process.env,
): StackPorts {
  const ports = { ...DEFAULT_PORTS };
  for (const key of Object.keys(PORT_ENV) as (keyof StackPorts)[]) {
    const fromEnv = env[PORT_ENV[key]];
    const explicit = overrides[key];
    if (explicit !== undefined) ports[key] = parsePort(String(explicit), `ports.${key}`);
    else if (fromEnv !== undefined && fromEnv !== '')
      ports[key] = parsePort(fromEnv, PORT_ENV[key]);
  }
  const seen = new Map<number, string>();
  for (const [key, port] of Object.entries(ports)) {
    const other = seen.get(port);
    // TCP and UDP may share a number, but keep it simple: all distinct.
    if (other) throw new Error(`ports.${key} and ports.${other} are both ${port}`);
    seen.set(port, key);
  }
  return ports;
}

export function envFlag(name: string, env: NodeJS.ProcessEnv = process.env): boolean {
  const v = env[name];
  return v !== undefined && v !== '' && v !== '0' && v.toLowerCase() !== 'false';
}

/** Where one stack instance keeps its runtime files. */
export interface StackPaths {
  root: string;
  run: string;
  logs: string;
  data: string;
  state: string;
}

export function stackPaths(dataDir: string = DEFAULT_STACK_DIR): StackPaths {
  return {
    root: dataDir,
    run: join(dataDir, 'run'),
    logs: join(dataDir, 'logs'),
    data: join(dataDir, 'data'),
    state: join(dataDir, 'state.json'),
  };
}

/** Where installed software lives (shared by all instances). */
export interface InstallPaths {
  root: string;
  venv: string;
  python: string;
  synapseMarker: string;
  bin: string;
  livekitServer: string;
  livekitMarker: string;
}

export function installPaths(installDir: string = DEFAULT_STACK_DIR): InstallPaths {
  const bin = join(installDir, 'bin');
  const venv = join(installDir, 'venv');
  return {
    root: installDir,
    venv,
    python: join(venv, 'bin', 'python'),
    synapseMarker: join(venv, '.matrix-call-installed'),
    bin,
    livekitServer: join(bin, 'livekit-server'),
    livekitMarker: join(bin, 'livekit-server.version'),
  };
}
