/** What a running stack looks like: the shapes recorded in `<instance>/state.json`. */
import type { StackPorts } from './config.js';
import type { HomeserverFaults } from './homeserver-proxy/proxy.js';

/** `a` is the default deployment; `b` the second one of a federated stack. */
export type DeploymentId = 'a' | 'b';
export type ServiceKind = 'synapse' | 'proxy' | 'livekit' | 'auth';
/** Deployment A's services are named by kind; B's carry a `-b` suffix. */
export type ServiceName = ServiceKind | `${ServiceKind}-b`;

/** One homeserver with its LiveKit SFU and auth service. */
export interface DeploymentInfo {
  id: DeploymentId;
  /**
   * Client-server API base URL handed to clients, e.g. `http://127.0.0.1:8008`; through the
   * homeserver proxy when it runs.
   */
  homeserverUrl: string;
  /** Synapse's client API itself, never through the proxy (for server-side tools). */
  synapseUrl: string;
  /** Server name (user IDs are `@name:<serverName>`). */
  serverName: string;
  /** MatrixRTC auth service (lk-jwt-service API), e.g. `http://127.0.0.1:6080`. */
  authServiceUrl: string;
  /** LiveKit signalling URL as handed to clients, e.g. `ws://127.0.0.1:7880`. */
  livekitUrl: string;
  livekitApiKey: string;
  livekitApiSecret: string;
  registrationSharedSecret: string;
  ports: StackPorts;
  /** The latency and fault proxy in front of Synapse, if it runs. */
  homeserverProxy?: HomeserverProxyInfo;
  /** Federation (TLS) listener, in federated stacks: the port in `serverName`. */
  federationUrl?: string;
  /** `matrix_server_name`s whose users this deployment's auth service lets create rooms. */
  fullAccessHomeservers: string[];
  /** The auth service checks with the homeserver that a user is joined before a token. */
  membershipCheck: boolean;
  /** LiveKit rooms one user may have the auth service create per minute; 0 = no cap. */
  roomCreationLimitPerMinute: number;
}

export interface HomeserverProxyInfo {
  url: string;
  port: number;
  /** Faults at start-up; change them with setHomeserverFaults(). */
  initialFaults: HomeserverFaults;
}

export interface FederationInfo {
  /** PEM of the local CA that signed both federation listeners' certificates. */
  caFile: string;
  a: DeploymentInfo;
  b: DeploymentInfo;
}

/** Deployment A's fields at the top level (as before federation existed), plus the instance. */
export interface StackInfo extends Omit<DeploymentInfo, 'id'> {
  /** True if Synapse advertises no MatrixRTC transport. */
  noTransport: boolean;
  /** Services running in this instance, in start order. */
  services: ServiceName[];
  /** Instance directory (pid files, logs, data, state.json). */
  dataDir: string;
  /** Where Synapse and LiveKit are installed. */
  installDir: string;
  pids: Partial<Record<ServiceName, number>>;
  logs: Partial<Record<ServiceName, string>>;
  startedAt: string;
  /** Present in federated stacks: both deployments (`a` repeats the top-level fields). */
  federation?: FederationInfo;
}
