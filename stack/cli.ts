/**
 * Local stack CLI.
 *
 *   tsx stack/cli.ts run     [options]  foreground; Ctrl-C stops everything          (npm run stack)
 *   tsx stack/cli.ts up      [options] [--json]  background, idempotent            (npm run stack:up)
 *     options: --no-transport, --federated (a second deployment B; see stack/README.md)
 *              --hs-proxy, --hs-latency ms, --hs-jitter ms, --hs-drop percent,
 *              --hs-drop-mode reset|bad-gateway|gateway-timeout   (any of them starts the
 *              homeserver proxy; faults change at runtime, see stack/README.md)
 *   tsx stack/cli.ts down    [--federated]                                         (npm run stack:down)
 *   tsx stack/cli.ts status  [--federated] [--json | --quiet]     exit 0 iff all healthy
 *   tsx stack/cli.ts install
 *   tsx stack/cli.ts provision user  [--username u] [--password p] [--display-name n] [--admin]
 *   tsx stack/cli.ts provision login --username u --password p [--device-id d]
 *   tsx stack/cli.ts provision room  [--users 2] [--unencrypted] [--name n] [--alias a]
 *
 * Ports: MC_SYNAPSE_PORT, MC_LIVEKIT_PORT, MC_LIVEKIT_TCP_PORT, MC_LIVEKIT_UDP_PORT,
 * MC_AUTH_PORT. MC_NO_TRANSPORT=1 is the same as --no-transport.
 */
import { parseArgs } from 'node:util';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { DEFAULT_STACK_DIR, envFlag, resolvePorts } from './config.js';
import {
  DROP_MODES,
  FEDERATED_STACK_DIR,
  MissingPrerequisiteError,
  PortInUseError,
  ensureInstalled,
  readStackInfo,
  stackStatus,
  startStack,
  stopStack,
  type DeploymentInfo,
  type DropMode,
  type StackInfo,
  type StartStackOptions,
} from './index.js';
import { isAlive } from './process.js';
import { createRoom, loginUser, registerUser, type ProvisionedUser } from './provision.js';

const out = (line: string) => process.stdout.write(`${line}\n`);
const err = (line: string) => process.stderr.write(`${line}\n`);

function federationTable(info: StackInfo): string {
  const fed = info.federation;
  if (!fed) return '';
  const row = (d: DeploymentInfo) => {
    const sfx = d.id === 'a' ? '' : '-b';
    return [
      `deployment ${d.id.toUpperCase()}: server name ${d.serverName} (users @name:${d.serverName})`,
      `  synapse${sfx.padEnd(3)} client ${d.synapseUrl}  federation ${d.federationUrl ?? '-'} (TLS)`,
      ...(d.homeserverProxy ? [`  proxy${sfx.padEnd(5)} ${d.homeserverProxy.url}`] : []),
      `  livekit${sfx.padEnd(3)} ${d.livekitUrl}  (ICE tcp ${d.ports.livekitTcp}, udp ${d.ports.livekitUdp})`,
      `  auth${sfx.padEnd(6)} ${d.authServiceUrl}  full access: ${d.fullAccessHomeservers.join(', ') || 'nobody'}`,
    ].join('\n');
  };
  return [
    row(fed.a),
    row(fed.b),
    '',
    `Local CA (trusted by both Synapses for federation and by both auth services): ${fed.caFile}`,
    `Logs: ${info.dataDir}/logs   State: ${info.dataDir}/state.json`,
  ].join('\n');
}

function table(info: StackInfo): string {
  if (info.federation) return federationTable(info);
  const rows: [string, string, string][] = [
    ['service', 'where', 'pid / log'],
    [
      'synapse',
      `${info.synapseUrl}  (server name ${info.serverName}; well-known http://${info.serverName}/.well-known/matrix/client)`,
      `${info.pids.synapse ?? '-'}  ${info.logs.synapse ?? ''}`,
    ],
    [
      'proxy',
      info.homeserverProxy
        ? `${info.homeserverProxy.url}  (clients' homeserver URL; faults ${JSON.stringify(info.homeserverProxy.initialFaults)})`
        : '',
      `${info.pids.proxy ?? '-'}  ${info.logs.proxy ?? ''}`,
    ],
    [
      'livekit',
      `${info.livekitUrl}  (ICE tcp ${info.ports.livekitTcp}, udp ${info.ports.livekitUdp}; key ${info.livekitApiKey})`,
      `${info.pids.livekit ?? '-'}  ${info.logs.livekit ?? ''}`,
    ],
    [
      'auth',
      `${info.authServiceUrl}  (POST /sfu/get, POST /get_token, GET /healthz)`,
      `${info.pids.auth ?? '-'}  ${info.logs.auth ?? ''}`,
    ],
  ].filter(([name]) => name === 'service' || info.services.includes(name as never)) as [
    string,
    string,
    string,
  ][];
  const w0 = Math.max(...rows.map((r) => r[0].length));
  const w1 = Math.max(...rows.map((r) => r[1].length));
  const lines = rows.map(([a, b, c]) => `${a.padEnd(w0)}  ${b.padEnd(w1)}  ${c}`);
  lines.push(
    '',
    `MatrixRTC transport advertised: ${info.noTransport ? 'none (--no-transport)' : info.authServiceUrl}`,
    `Registration shared secret (local only): ${info.registrationSharedSecret}`,
    `State: ${info.dataDir}/state.json`,
  );
  return lines.join('\n');
}

type StartOptions = Pick<StartStackOptions, 'noTransport' | 'homeserverProxy' | 'federated'>;

const dataDirOf = (start: Pick<StartOptions, 'federated'>) =>
  start.federated ? FEDERATED_STACK_DIR : DEFAULT_STACK_DIR;

/** Starts the stack; a signal during start-up stops what was started and exits 130. */
async function startWithSignals(start: StartOptions): Promise<StackInfo> {
  let interrupted = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (interrupted) return;
    interrupted = true;
    err(`\n${signal} during start-up: stopping what was started`);
    void stopStack({ dataDir: dataDirOf(start), log: err }).finally(() => process.exit(130));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    return await startStack({ ...start, log: err });
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

async function cmdUp(start: StartOptions, json: boolean): Promise<number> {
  const t0 = performance.now();
  const already = await readStackInfo({ dataDir: dataDirOf(start) });
  const info = already ?? (await startWithSignals(start));
  if (already) {
    const ports = resolvePorts();
    const wantProxy = start.homeserverProxy !== undefined;
    if (
      already.noTransport !== start.noTransport ||
      (!start.federated && JSON.stringify(already.ports) !== JSON.stringify(ports)) ||
      (wantProxy && !already.homeserverProxy)
    ) {
      err(
        `A stack with other settings is already running (noTransport=${already.noTransport}, ` +
          `ports ${JSON.stringify(already.ports)}, homeserver proxy ` +
          `${already.homeserverProxy ? 'on' : 'off'}); run stack:down first.`,
      );
      return 1;
    }
    err(
      `Stack already running and healthy (checked in ${((performance.now() - t0) / 1000).toFixed(2)} s).`,
    );
  } else {
    err(`Stack up in ${((performance.now() - t0) / 1000).toFixed(1)} s.`);
  }
  out(json ? JSON.stringify(info, null, 2) : table(info));
  return 0;
}

async function cmdRun(start: StartOptions): Promise<number> {
  const already = await readStackInfo({ dataDir: dataDirOf(start) });
  if (already) {
    out(table(already));
    err(
      '\nA stack is already running in the background (npm run stack:down stops it). Leaving it as is.',
    );
    return 0;
  }
  const t0 = performance.now();
  const info = await startWithSignals(start);
  out(table(info));
  err(
    `\nStack up in ${((performance.now() - t0) / 1000).toFixed(1)} s. Press Ctrl-C to stop everything.`,
  );

  return new Promise<number>((resolve) => {
    let stopping = false;
    const stop = (why: string, code: number) => {
      if (stopping) return;
      stopping = true;
      clearInterval(monitor);
      err(`\n${why}: stopping the stack`);
      stopStack({ dataDir: dataDirOf(start), log: err })
        .then(() => {
          err('All stopped.');
          resolve(code);
        })
        .catch((e: unknown) => {
          err(`stop failed: ${e instanceof Error ? e.message : String(e)}`);
          resolve(1);
        });
    };
    const monitor = setInterval(() => {
      for (const [name, pid] of Object.entries(info.pids)) {
        if (!isAlive(pid)) {
          stop(
            `${name} (pid ${pid}) exited unexpectedly; see ${info.logs[name as 'auth'] ?? 'its log'}`,
            1,
          );
          return;
        }
      }
    }, 1000);
    process.on('SIGINT', () => {
      stop('SIGINT', 0);
    });
    process.on('SIGTERM', () => {
      stop('SIGTERM', 0);
    });
    process.on('SIGHUP', () => {
      stop('SIGHUP', 0);
    });
  });
}

async function cmdDown(dataDir: string): Promise<number> {
  const t0 = performance.now();
  await stopStack({ dataDir, log: err });
  err(`Stack down (${((performance.now() - t0) / 1000).toFixed(1)} s).`);
  return 0;
}

async function cmdStatus(dataDir: string, json: boolean, quiet: boolean): Promise<number> {
  const info = await readStackInfo({ dataDir });
  if (quiet) return info ? 0 : 1;
  const statuses = await stackStatus({ dataDir });
  if (json) {
    out(
      JSON.stringify(
        { healthy: info !== undefined, info: info ?? null, services: statuses },
        null,
        2,
      ),
    );
  } else {
    for (const s of statuses) {
      out(
        `${s.name.padEnd(8)} ${s.healthy ? 'healthy' : s.running ? 'RUNNING, NOT HEALTHY' : 'stopped'}` +
          `${s.pid !== undefined && s.running ? `  pid ${s.pid}` : ''}  ${s.url}  log ${s.log}`,
      );
    }
    out(info ? '\nStack is up.' : '\nStack is not (fully) up.');
  }
  return info ? 0 : 1;
}

async function cmdProvision(args: string[]): Promise<number> {
  const [what, ...rest] = args;
  const { values } = parseArgs({
    args: rest,
    options: {
      username: { type: 'string' },
      password: { type: 'string' },
      'display-name': { type: 'string' },
      admin: { type: 'boolean' },
      'device-id': { type: 'string' },
      users: { type: 'string' },
      unencrypted: { type: 'boolean' },
      name: { type: 'string' },
      alias: { type: 'string' },
    },
  });
  const info = await readStackInfo();
  if (!info) {
    err('No healthy stack is running. Start one with `npm run stack:up`.');
    return 1;
  }
  if (what === 'user') {
    const user = await registerUser(info, {
      ...(values.username === undefined ? {} : { username: values.username }),
      ...(values.password === undefined ? {} : { password: values.password }),
      ...(values['display-name'] === undefined ? {} : { displayName: values['display-name'] }),
      ...(values.admin === undefined ? {} : { admin: values.admin }),
    });
    out(JSON.stringify(user, null, 2));
    return 0;
  }
  if (what === 'login') {
    if (!values.username || !values.password) {
      err('provision login needs --username and --password');
      return 2;
    }
    out(
      JSON.stringify(
        await loginUser(info, values.username, values.password, values['device-id']),
        null,
        2,
      ),
    );
    return 0;
  }
  if (what === 'room') {
    const count = Number(values.users ?? '2');
    if (!Number.isInteger(count) || count < 1) {
      err('--users must be a positive integer');
      return 2;
    }
    const users: ProvisionedUser[] = [];
    for (let i = 0; i < count; i++) users.push(await registerUser(info));
    const [creator, ...invitees] = users as [ProvisionedUser, ...ProvisionedUser[]];
    const room = await createRoom(info, creator, {
      encrypted: !values.unencrypted,
      invite: invitees,
      autoJoin: true,
      ...(values.name === undefined ? {} : { name: values.name }),
      ...(values.alias === undefined ? {} : { alias: values.alias }),
    });
    out(
      JSON.stringify(
        {
          homeserverUrl: info.homeserverUrl,
          serverName: info.serverName,
          room: { ...room, encrypted: !values.unencrypted },
          users,
        },
        null,
        2,
      ),
    );
    return 0;
  }
  err('usage: provision user|login|room [options] (see stack/cli.ts)');
  return 2;
}

class UsageError extends Error {}

function numberFlag(value: string | undefined, flag: string, max: number): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n < 0 || n > max)
    throw new UsageError(
      `--${flag} must be a number from 0 to ${max}, not ${JSON.stringify(value)}`,
    );
  return n;
}

/** The homeserver proxy options from the --hs-* flags; undefined when none is given. */
function proxyOptions(values: {
  'hs-proxy'?: boolean;
  'hs-latency'?: string;
  'hs-jitter'?: string;
  'hs-drop'?: string;
  'hs-drop-mode'?: string;
}): StartOptions['homeserverProxy'] {
  const latencyMs = numberFlag(values['hs-latency'], 'hs-latency', 600_000);
  const jitterMs = numberFlag(values['hs-jitter'], 'hs-jitter', 600_000);
  const dropPercent = numberFlag(values['hs-drop'], 'hs-drop', 100);
  const mode = values['hs-drop-mode'];
  if (mode !== undefined && !DROP_MODES.includes(mode as DropMode))
    throw new UsageError(`--hs-drop-mode must be one of ${DROP_MODES.join(', ')}`);
  const faults = {
    ...(latencyMs === undefined ? {} : { latencyMs }),
    ...(jitterMs === undefined ? {} : { jitterMs }),
    ...(dropPercent === undefined ? {} : { dropPercent }),
    ...(mode === undefined ? {} : { dropMode: mode as DropMode }),
  };
  if (!values['hs-proxy'] && Object.keys(faults).length === 0) return undefined;
  return faults;
}

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === 'provision') return cmdProvision(rest);
  const { values } = parseArgs({
    args: rest,
    options: {
      'no-transport': { type: 'boolean' },
      json: { type: 'boolean' },
      quiet: { type: 'boolean' },
      federated: { type: 'boolean' },
      'hs-proxy': { type: 'boolean' },
      'hs-latency': { type: 'string' },
      'hs-jitter': { type: 'string' },
      'hs-drop': { type: 'string' },
      'hs-drop-mode': { type: 'string' },
    },
  });
  const start: StartOptions = { noTransport: values['no-transport'] ?? envFlag('MC_NO_TRANSPORT') };
  if (values.federated) start.federated = true;
  const proxy = proxyOptions(values);
  if (proxy) start.homeserverProxy = proxy;
  switch (command) {
    case 'run':
      return cmdRun(start);
    case 'up':
      return cmdUp(start, values.json ?? false);
    case 'down':
      return cmdDown(dataDirOf(start));
    case 'status':
      return cmdStatus(dataDirOf(start), values.json ?? false, values.quiet ?? false);
    case 'install': {
      const t0 = performance.now();
      await ensureInstalled(err);
      err(`Install check done in ${((performance.now() - t0) / 1000).toFixed(1)} s.`);
      return 0;
    }
    default:
      err('usage: tsx stack/cli.ts run|up|down|status|install|provision [options]');
      return 2;
  }
}

main(process.argv.slice(2))
  .then(async (code) => {
    await sleep(0);
    process.exit(code);
  })
  .catch((e: unknown) => {
    if (
      e instanceof UsageError ||
      (e as { code?: unknown }).code?.toString().startsWith('ERR_PARSE_ARGS')
    ) {
      err(`${(e as Error).message}\nusage: see the header of stack/cli.ts or stack/README.md`);
      process.exit(2);
    }
    if (e instanceof MissingPrerequisiteError || e instanceof PortInUseError) {
      err(`\n${e.message}`);
      process.exit(e instanceof MissingPrerequisiteError ? 3 : 4);
    }
    err(`\n${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
    process.exit(1);
  });
