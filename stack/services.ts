/**
 * The stack's services: names, start order, health checks, config files, and the command
 * that starts each one. Commands are derived from the recorded StackInfo alone, so that a
 * fault control can restart a service exactly as the stack started it.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  LIVEKIT_API_KEY,
  LIVEKIT_API_SECRET,
  REPO_ROOT,
  installPaths,
  stackPaths,
} from './config.js';
import { NOBODY } from './deployments.js';
import { performance } from 'node:perf_hooks';
import type { Log } from './install.js';
import { isOurProcess, spawnDetached, waitForHealthy, writePidFile } from './process.js';
import { ensureServiceAccount, serviceAccountTokenFile } from './service-account.js';
import { livekitConfig, synapseConfig, synapseLogConfig } from './service-configs.js';
import type {
  DeploymentId,
  DeploymentInfo,
  ServiceKind,
  ServiceName,
  StackInfo,
} from './stack-info.js';

/** Start order within a deployment (stopped in reverse). */
export const SERVICE_KINDS: readonly ServiceKind[] = ['synapse', 'proxy', 'livekit', 'auth'];

export function serviceName(kind: ServiceKind, id: DeploymentId): ServiceName {
  return id === 'a' ? kind : `${kind}-b`;
}

export function serviceKind(name: ServiceName): ServiceKind {
  return name.replace(/-b$/, '') as ServiceKind;
}

export function serviceDeployment(name: ServiceName): DeploymentId {
  return name.endsWith('-b') ? 'b' : 'a';
}

/** Every service name, in start order (A's, then B's). */
export const ALL_SERVICE_NAMES: readonly ServiceName[] = (['a', 'b'] as const).flatMap((id) =>
  SERVICE_KINDS.map((kind) => serviceName(kind, id)),
);

export function isServiceName(value: string): value is ServiceName {
  return (ALL_SERVICE_NAMES as readonly string[]).includes(value);
}

const PROCESS_MARKER: Record<ServiceKind, string> = {
  synapse: 'synapse.app.homeserver',
  proxy: 'homeserver-proxy/main.ts',
  livekit: 'livekit-server',
  auth: 'auth-service/main.ts',
};

/** True if `pid` is this instance's `name` (guards against PID reuse). */
export function isServiceProcess(pid: number, name: ServiceName, dataDir: string): boolean {
  return isOurProcess(pid, PROCESS_MARKER[serviceKind(name)]) && isOurProcess(pid, dataDir);
}

/** The deployment a StackInfo describes: A from the top-level fields, B from `federation`. */
export function deploymentOf(info: StackInfo, id: DeploymentId): DeploymentInfo {
  if (info.federation) return info.federation[id];
  if (id === 'b') throw new Error('This stack is not federated: it has no deployment B.');
  const { homeserverProxy, federationUrl } = info;
  return {
    id: 'a',
    homeserverUrl: info.homeserverUrl,
    synapseUrl: info.synapseUrl,
    serverName: info.serverName,
    authServiceUrl: info.authServiceUrl,
    livekitUrl: info.livekitUrl,
    livekitApiKey: info.livekitApiKey,
    livekitApiSecret: info.livekitApiSecret,
    registrationSharedSecret: info.registrationSharedSecret,
    ports: info.ports,
    fullAccessHomeservers: info.fullAccessHomeservers,
    membershipCheck: info.membershipCheck,
    roomCreationLimitPerMinute: info.roomCreationLimitPerMinute,
    ...(homeserverProxy ? { homeserverProxy } : {}),
    ...(federationUrl ? { federationUrl } : {}),
  };
}

export function healthUrl(
  d: Pick<DeploymentInfo, 'id' | 'ports' | 'homeserverProxy'>,
  kind: ServiceKind,
): string {
  switch (kind) {
    case 'synapse':
      return `http://127.0.0.1:${d.ports.synapse}/health`;
    case 'proxy':
      if (!d.homeserverProxy) throw new Error(`deployment ${d.id} has no homeserver proxy`);
      return `${d.homeserverProxy.url}/_mc_proxy/health`;
    case 'livekit':
      return `http://127.0.0.1:${d.ports.livekit}/`;
    case 'auth':
      return `http://127.0.0.1:${d.ports.auth}/healthz`;
  }
}

export function pidFile(dataDir: string, name: ServiceName): string {
  return join(stackPaths(dataDir).run, `${name}.pid`);
}

export function logFile(dataDir: string, name: ServiceName): string {
  return join(stackPaths(dataDir).logs, `${name}.log`);
}

/** Synapse's directory (config, sqlite database, media, signing key) for a deployment. */
export function synapseDataDir(info: Pick<StackInfo, 'dataDir' | 'serverName'>): string {
  const safeName = info.serverName.replace(/[^A-Za-z0-9.-]/g, '-');
  return join(stackPaths(info.dataDir).data, `synapse-${safeName}`);
}

function livekitConfigPath(dataDir: string, id: DeploymentId): string {
  return join(stackPaths(dataDir).data, id === 'a' ? 'livekit.yaml' : 'livekit-b.yaml');
}

/** Files of the local CA and the federation listeners' certificate (federated stacks). */
export function tlsPaths(dataDir: string): { ca: string; cert: string; key: string } {
  const dir = join(stackPaths(dataDir).data, 'tls');
  return {
    ca: join(dir, 'ca.pem'),
    cert: join(dir, 'localhost.pem'),
    key: join(dir, 'localhost.key'),
  };
}

/** Writes a service's config files; they are regenerated at every start. */
export async function writeServiceConfig(
  info: StackInfo,
  d: DeploymentInfo,
  kind: ServiceKind,
): Promise<void> {
  if (kind === 'synapse') {
    const dir = synapseDataDir({ dataDir: info.dataDir, serverName: d.serverName });
    await mkdir(join(dir, 'media'), { recursive: true });
    const logConfigPath = join(dir, 'log.config.yaml');
    await writeFile(logConfigPath, JSON.stringify(synapseLogConfig(), null, 2));
    const tls = tlsPaths(info.dataDir);
    const config = synapseConfig({
      port: d.ports.synapse,
      serverName: d.serverName,
      publicBaseUrl: d.homeserverUrl,
      dir,
      authServiceUrl: info.noTransport ? undefined : d.authServiceUrl,
      logConfigPath,
      ...(info.federation && d.federationUrl
        ? {
            federation: {
              port: Number(new URL(d.federationUrl).port),
              certPath: tls.cert,
              keyPath: tls.key,
              caPath: tls.ca,
            },
          }
        : {}),
    });
    await writeFile(join(dir, 'homeserver.yaml'), JSON.stringify(config, null, 2));
  } else if (kind === 'livekit') {
    await mkdir(stackPaths(info.dataDir).data, { recursive: true });
    const config = livekitConfig({
      port: d.ports.livekit,
      tcpPort: d.ports.livekitTcp,
      udpPort: d.ports.livekitUdp,
      webhookUrl: `${d.authServiceUrl}/sfu_webhook`,
    });
    await writeFile(livekitConfigPath(info.dataDir, d.id), JSON.stringify(config, null, 2));
  } else if (kind === 'auth' && d.membershipCheck) {
    await ensureServiceAccount(d, serviceAccountTokenFile(info.dataDir, serviceName('auth', d.id)));
  }
}

export interface ServiceLaunch {
  command: string;
  args: string[];
  cwd: string;
  env: NodeJS.ProcessEnv;
}

/** How a service is started: a pure function of the recorded StackInfo. */
export function serviceLaunch(
  info: StackInfo,
  d: DeploymentInfo,
  kind: ServiceKind,
): ServiceLaunch {
  const install = installPaths(info.installDir);
  const tsx = import.meta.resolve('tsx');
  switch (kind) {
    case 'synapse': {
      const dir = synapseDataDir({ dataDir: info.dataDir, serverName: d.serverName });
      return {
        command: install.python,
        args: ['-m', 'synapse.app.homeserver', '-c', join(dir, 'homeserver.yaml')],
        cwd: dir,
        env: { ...process.env, PYTHONUNBUFFERED: '1' },
      };
    }
    case 'proxy': {
      if (!d.homeserverProxy) throw new Error(`deployment ${d.id} has no homeserver proxy`);
      return {
        command: process.execPath,
        args: [
          '--import',
          tsx,
          join(REPO_ROOT, 'stack', 'homeserver-proxy', 'main.ts'),
          '--stack-dir',
          info.dataDir,
        ],
        cwd: REPO_ROOT,
        env: {
          ...process.env,
          MC_PROXY_TARGET: d.synapseUrl,
          MC_PROXY_BIND: `127.0.0.1:${d.homeserverProxy.port}`,
          MC_PROXY_FAULTS: JSON.stringify(d.homeserverProxy.initialFaults),
        },
      };
    }
    case 'livekit':
      return {
        command: install.livekitServer,
        args: ['--config', livekitConfigPath(info.dataDir, d.id)],
        cwd: stackPaths(info.dataDir).data,
        env: process.env,
      };
    case 'auth':
      return {
        command: process.execPath,
        args: [
          '--import',
          tsx,
          join(REPO_ROOT, 'stack', 'auth-service', 'main.ts'),
          '--stack-dir',
          info.dataDir,
        ],
        cwd: REPO_ROOT,
        env: {
          ...process.env,
          LIVEKIT_URL: d.livekitUrl,
          LIVEKIT_KEY: LIVEKIT_API_KEY,
          LIVEKIT_SECRET: LIVEKIT_API_SECRET,
          LIVEKIT_JWT_BIND: `127.0.0.1:${d.ports.auth}`,
          LIVEKIT_FULL_ACCESS_HOMESERVERS:
            d.fullAccessHomeservers.length > 0 ? d.fullAccessHomeservers.join(',') : NOBODY,
          ...(info.federation
            ? {
                // OpenID over federation, as lk-jwt-service: https://<server name>, whose
                // certificate only the stack's CA vouches for.
                NODE_EXTRA_CA_CERTS: info.federation.caFile,
              }
            : {
                // The OpenID check goes to Synapse directly, never through the proxy.
                MC_HOMESERVER_URL_OVERRIDES: `${d.serverName}=${d.synapseUrl}`,
              }),
          // Delayed-event calls: to its own homeserver, directly.
          LIVEKIT_CS_API_URL_OVERRIDES: `${d.serverName}=${d.synapseUrl}`,
          MC_ROOM_CREATION_LIMIT_PER_MINUTE: String(d.roomCreationLimitPerMinute),
          ...(d.membershipCheck
            ? {
                MC_MEMBERSHIP_CHECK_HOMESERVER_URL: d.synapseUrl,
                MC_MEMBERSHIP_CHECK_TOKEN_FILE: serviceAccountTokenFile(
                  info.dataDir,
                  serviceName('auth', d.id),
                ),
              }
            : {}),
        },
      };
  }
}

/**
 * Starts one service from the recorded StackInfo, records its pid (in `info.pids` and its
 * pid file) and waits until it is healthy. Config files must have been written.
 */
export async function startService(
  info: StackInfo,
  name: ServiceName,
  healthTimeoutMs: number,
  log: Log,
): Promise<number> {
  const t = performance.now();
  const d = deploymentOf(info, serviceDeployment(name));
  const kind = serviceKind(name);
  const file = logFile(info.dataDir, name);
  await writeFile(file, `--- ${new Date().toISOString()} starting ${name}\n`, { flag: 'a' });
  const launch = serviceLaunch(info, d, kind);
  const pid = spawnDetached(launch.command, launch.args, {
    cwd: launch.cwd,
    env: launch.env,
    logFile: file,
  });
  info.pids[name] = pid;
  info.logs[name] = file;
  await writePidFile(pidFile(info.dataDir, name), pid);
  const url = healthUrl(d, kind);
  await waitForHealthy(name, url, pid, file, healthTimeoutMs);
  log(`${name}: healthy at ${url} (pid ${pid}, ${((performance.now() - t) / 1000).toFixed(1)} s)`);
  return pid;
}
