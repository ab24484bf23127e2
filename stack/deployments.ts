/**
 * What a stack's deployments will be, from the start options: ports, server names, URLs and
 * auth settings. A normal stack has deployment A only; a federated one adds B, and both then
 * have a TLS federation listener whose port is part of their server name.
 */
import { join } from 'node:path';
import {
  LIVEKIT_API_KEY,
  LIVEKIT_API_SECRET,
  REGISTRATION_SHARED_SECRET,
  REPO_ROOT,
  resolvePorts,
  type StackPorts,
} from './config.js';
import { NO_FAULTS, mergeFaults, type HomeserverFaults } from './homeserver-proxy/proxy.js';
import type { Log } from './install.js';
import { freePort, type PortRequirement } from './process.js';
import type { DeploymentId, DeploymentInfo, ServiceKind, ServiceName } from './stack-info.js';

/** Where a federated stack lives unless `dataDir` says otherwise. */
export const FEDERATED_STACK_DIR = join(REPO_ROOT, '.stack-federated');
/**
 * The full-access list of an auth service that may create rooms for nobody (lk-jwt-service
 * requires a non-empty list; `.invalid` can never be a real server name).
 */
export const NOBODY = 'nobody.invalid';
export const DEFAULT_ROOM_CREATION_LIMIT_PER_MINUTE = 20;

export interface AuthOptions {
  /**
   * Check with the homeserver (admin API, through the `@mc-auth-service` admin the stack
   * creates) that a user is joined to the room before issuing a token; default true.
   */
  membershipCheck?: boolean;
  /** LiveKit rooms one user may have the auth service create per minute; default 20, 0 = no cap. */
  roomCreationLimitPerMinute?: number;
}

export type ProxyOptions = Partial<HomeserverFaults> & { port?: number };

export interface FederationOptions {
  /** Deployment B's ports; unset ones are free ports. */
  bPorts?: Partial<StackPorts>;
  /** The federation (TLS) listeners' ports; default: free ports. */
  federationPorts?: { a?: number; b?: number };
  /** Whether B's auth service lets B's users create LiveKit rooms; default true. */
  bFullAccess?: boolean;
  /** The homeserver proxy in front of B's Synapse as well. */
  bHomeserverProxy?: boolean | ProxyOptions;
  /** B's auth service options; default: A's. */
  bAuth?: AuthOptions;
}

export interface StartStackOptions {
  /**
   * Port overrides; unset ones come from MC_*_PORT or the defaults (federated stacks: free
   * ports, MC_*_PORT is not read).
   */
  ports?: Partial<StackPorts>;
  /** Advertise no MatrixRTC transport; default from MC_NO_TRANSPORT. */
  noTransport?: boolean;
  /** Instance directory; default `<repo>/.stack` (federated: `<repo>/.stack-federated`). */
  dataDir?: string;
  /** Where Synapse and LiveKit are installed; default `<repo>/.stack`. */
  installDir?: string;
  /** Start only these (in order Synapse → LiveKit → auth); default all. */
  services?: readonly ServiceName[];
  /**
   * Put the latency and fault proxy in front of Synapse's client API: `homeserverUrl` (and
   * .well-known) then point at it. `true` starts it without faults. Its port: `port`, else
   * `MC_HS_PROXY_PORT`, else Synapse's port + 1 (federated: a free port). Faults change at
   * runtime with setHomeserverFaults(). Default: no proxy.
   */
  homeserverProxy?: boolean | ProxyOptions;
  /** Auth service options beyond lk-jwt-service. */
  auth?: AuthOptions;
  /**
   * A second deployment B (Synapse, LiveKit, auth service) federating with A over TLS on
   * loopback; see stack/README.md. Default: no.
   */
  federated?: boolean | FederationOptions;
  /** Progress lines; default: none. */
  log?: Log;
  /** Per-service health timeout; default 90 s. */
  healthTimeoutMs?: number;
}

const wants = (proxy: boolean | ProxyOptions | undefined) => proxy !== undefined && proxy !== false;

function faultsOf(proxy: boolean | ProxyOptions | undefined): HomeserverFaults {
  if (typeof proxy !== 'object') return { ...NO_FAULTS };
  const { port: _port, ...faults } = proxy;
  return mergeFaults({ ...NO_FAULTS }, faults);
}

function checkPort(raw: number | string, what: string): number {
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 1 || port > 65535)
    throw new Error(`${what} ${JSON.stringify(raw)} is not a port number`);
  return port;
}

async function withFreePorts(given: Partial<StackPorts> = {}): Promise<StackPorts> {
  return resolvePorts(
    {
      synapse: given.synapse ?? (await freePort()),
      livekit: given.livekit ?? (await freePort()),
      livekitTcp: given.livekitTcp ?? (await freePort()),
      livekitUdp: given.livekitUdp ?? (await freePort('udp')),
      auth: given.auth ?? (await freePort()),
    },
    {},
  );
}

interface DeploymentPlan {
  id: DeploymentId;
  ports: StackPorts;
  proxyPort?: number;
  proxy: boolean | ProxyOptions | undefined;
  federationPort?: number;
  auth: AuthOptions | undefined;
  /** undefined: the deployment's own users. */
  fullAccess?: string[];
}

function describeDeployment(p: DeploymentPlan): DeploymentInfo {
  const serverName = `localhost:${p.federationPort ?? p.ports.synapse}`;
  const synapseUrl = `http://127.0.0.1:${p.ports.synapse}`;
  const proxy =
    p.proxyPort === undefined
      ? undefined
      : {
          url: `http://127.0.0.1:${p.proxyPort}`,
          port: p.proxyPort,
          initialFaults: faultsOf(p.proxy),
        };
  return {
    id: p.id,
    homeserverUrl: proxy?.url ?? synapseUrl,
    synapseUrl,
    serverName,
    authServiceUrl: `http://127.0.0.1:${p.ports.auth}`,
    livekitUrl: `ws://127.0.0.1:${p.ports.livekit}`,
    livekitApiKey: LIVEKIT_API_KEY,
    livekitApiSecret: LIVEKIT_API_SECRET,
    registrationSharedSecret: REGISTRATION_SHARED_SECRET,
    ports: p.ports,
    fullAccessHomeservers: p.fullAccess ?? [serverName],
    membershipCheck: p.auth?.membershipCheck ?? true,
    roomCreationLimitPerMinute:
      p.auth?.roomCreationLimitPerMinute ?? DEFAULT_ROOM_CREATION_LIMIT_PER_MINUTE,
    ...(proxy ? { homeserverProxy: proxy } : {}),
    ...(p.federationPort === undefined
      ? {}
      : { federationUrl: `https://localhost:${p.federationPort}` }),
  };
}

/** The deployments a start with these options brings up: [A] or [A, B]. */
export async function planDeployments(opts: StartStackOptions): Promise<DeploymentInfo[]> {
  if (!opts.federated) {
    const ports = resolvePorts(opts.ports);
    const explicit =
      typeof opts.homeserverProxy === 'object' ? opts.homeserverProxy.port : undefined;
    const raw = explicit ?? process.env['MC_HS_PROXY_PORT'];
    const proxyPort = wants(opts.homeserverProxy)
      ? raw === undefined || raw === ''
        ? ports.synapse + 1
        : checkPort(raw, 'homeserver proxy port')
      : undefined;
    return [
      describeDeployment({
        id: 'a',
        ports,
        proxy: opts.homeserverProxy,
        auth: opts.auth,
        ...(proxyPort === undefined ? {} : { proxyPort }),
      }),
    ];
  }
  const fed = typeof opts.federated === 'object' ? opts.federated : {};
  const plans: DeploymentPlan[] = [];
  for (const id of ['a', 'b'] as const) {
    const proxy = id === 'a' ? opts.homeserverProxy : fed.bHomeserverProxy;
    const explicitProxy = typeof proxy === 'object' ? proxy.port : undefined;
    const proxyPort = wants(proxy) ? (explicitProxy ?? (await freePort())) : undefined;
    plans.push({
      id,
      ports: await withFreePorts(id === 'a' ? opts.ports : fed.bPorts),
      proxy,
      federationPort: fed.federationPorts?.[id] ?? (await freePort()),
      auth: id === 'a' ? opts.auth : (fed.bAuth ?? opts.auth),
      ...(proxyPort === undefined ? {} : { proxyPort }),
      ...(id === 'b' && fed.bFullAccess === false ? { fullAccess: [] } : {}),
    });
  }
  return plans.map(describeDeployment);
}

/** The service kinds a deployment runs, in start order. */
export function deploymentKinds(
  d: DeploymentInfo,
  services: readonly ServiceName[] | undefined,
): ServiceKind[] {
  const wanted = services ?? ['synapse', 'livekit', 'auth'];
  return (['synapse', 'proxy', 'livekit', 'auth'] as const).filter((k) =>
    k === 'proxy' ? d.homeserverProxy !== undefined : wanted.includes(k),
  );
}

export function portRequirements(
  d: DeploymentInfo,
  kinds: readonly ServiceKind[],
): PortRequirement[] {
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
