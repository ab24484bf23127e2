/**
 * `npm start`: a working encrypted call on this machine.
 *
 *  1. reserves the demo port (default 8000, `PORT` overrides) so a taken port fails first;
 *  2. starts the local stack (`stack/`), installing it on first use, or reuses a running one;
 *  3. provisions two demo users (alice, bob) and one encrypted room they both joined,
 *     `#demo:<server name>`, reused across runs;
 *  4. builds the CDN bundle and serves the demo page with it;
 *  5. prints one link per user. Ctrl-C stops the server, and the stack if this run started it.
 *
 * The passwords are fixed, local-only demo values: the stack listens on 127.0.0.1 only.
 */
import { performance } from 'node:perf_hooks';
import {
  MissingPrerequisiteError,
  PortInUseError,
  readStackInfo,
  startStack,
  stopStack,
  type StackInfo,
} from '../stack/index.js';
import {
  MatrixApiError,
  createRoom,
  joinRoom,
  loginUser,
  registerUser,
  type ProvisionedUser,
} from '../stack/provision.js';
import { buildCdn, serveDemo, type DemoServer } from './demo-server.js';

/** Local-only demo accounts. */
export const DEMO_USERS = [
  { username: 'alice', password: 'alice-local-demo', displayName: 'Alice' },
  { username: 'bob', password: 'bob-local-demo', displayName: 'Bob' },
] as const;
export const DEMO_ROOM_ALIAS = 'demo';

const log = (line: string) => {
  process.stderr.write(`${line}\n`);
};
const bold = (text: string) => (process.stdout.isTTY ? `\x1b[1m${text}\x1b[0m` : text);
const seconds = (since: number) => `${((performance.now() - since) / 1000).toFixed(1)} s`;

async function matrix(
  info: StackInfo,
  method: 'GET' | 'POST',
  path: string,
  accessToken?: string,
): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(new URL(path, info.homeserverUrl), {
    method,
    headers: {
      'content-type': 'application/json',
      ...(accessToken ? { authorization: `Bearer ${accessToken}` } : {}),
    },
    ...(method === 'POST' ? { body: '{}' } : {}),
    signal: AbortSignal.timeout(15_000),
  });
  const body = (await res.json().catch(() => ({}))) as Record<string, unknown>;
  return { status: res.status, body };
}

/** A local admin, used only to reset a demo user's password if it was changed. */
const ADMIN = { username: 'demo-admin', password: 'demo-admin-local', admin: true } as const;

async function registerOrLogin(
  info: StackInfo,
  user: { username: string; password: string; displayName?: string; admin?: boolean },
): Promise<ProvisionedUser> {
  try {
    return await registerUser(info, user);
  } catch (error) {
    if (error instanceof MatrixApiError && error.errcode === 'M_USER_IN_USE') {
      return loginUser(info, user.username, user.password);
    }
    throw error;
  }
}

/**
 * Registers the user, or signs in if it exists. If it exists with another password (someone
 * changed it, or created the name by hand), the password is reset to the demo one.
 */
async function ensureUser(
  info: StackInfo,
  user: (typeof DEMO_USERS)[number],
): Promise<ProvisionedUser> {
  try {
    return await registerOrLogin(info, user);
  } catch (error) {
    if (!(error instanceof MatrixApiError && error.errcode === 'M_FORBIDDEN')) throw error;
    const admin = await registerOrLogin(info, ADMIN);
    try {
      const res = await fetch(
        new URL(
          `/_synapse/admin/v1/reset_password/${encodeURIComponent(`@${user.username}:${info.serverName}`)}`,
          info.homeserverUrl,
        ),
        {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            authorization: `Bearer ${admin.accessToken}`,
          },
          body: JSON.stringify({ new_password: user.password, logout_devices: false }),
          signal: AbortSignal.timeout(15_000),
        },
      );
      if (!res.ok)
        throw new Error(`resetting the password of ${user.username}: HTTP ${res.status}`);
      log(`  ${user.username} existed with another password: reset it to the demo password.`);
    } finally {
      await logout(info, admin.accessToken);
    }
    return loginUser(info, user.username, user.password);
  }
}

async function logout(info: StackInfo, accessToken: string): Promise<void> {
  await matrix(info, 'POST', '/_matrix/client/v3/logout', accessToken).catch(() => undefined);
}

/** Both demo users and the shared encrypted room; idempotent. */
export async function provisionDemo(info: StackInfo): Promise<{ room: string; roomId: string }> {
  const [alice, bob] = [
    await ensureUser(info, DEMO_USERS[0]),
    await ensureUser(info, DEMO_USERS[1]),
  ];
  const room = `#${DEMO_ROOM_ALIAS}:${info.serverName}`;
  try {
    const found = await matrix(
      info,
      'GET',
      `/_matrix/client/v3/directory/room/${encodeURIComponent(room)}`,
    );
    let roomId = typeof found.body['room_id'] === 'string' ? found.body['room_id'] : undefined;
    if (!roomId) {
      ({ roomId } = await createRoom(info, alice, {
        encrypted: true,
        name: 'Demo call',
        alias: DEMO_ROOM_ALIAS,
        invite: [bob],
        autoJoin: true,
      }));
    } else {
      // Already there from an earlier run: make sure both are still members.
      await joinRoom(info, alice, roomId);
      await joinRoom(info, bob, roomId).catch(async () => {
        await matrix(
          info,
          'POST',
          `/_matrix/client/v3/rooms/${encodeURIComponent(roomId ?? '')}/invite`,
          alice.accessToken,
        ).catch(() => undefined);
        await joinRoom(info, bob, roomId ?? '');
      });
    }
    return { room, roomId };
  } finally {
    // The provisioning sessions are not needed any more: do not pile up devices.
    for (const user of [alice, bob]) await logout(info, user.accessToken);
  }
}

/** A link that signs `user` in and opens the demo room's lobby. */
export function demoLink(
  pageUrl: string,
  info: Pick<StackInfo, 'homeserverUrl'>,
  room: string,
  user: { username: string; password: string },
): string {
  const params = new URLSearchParams({
    homeserver: info.homeserverUrl,
    room,
    user: user.username,
    password: user.password,
  });
  return `${pageUrl}/#${params.toString()}`;
}

async function main(): Promise<number> {
  const t0 = performance.now();
  const port = Number(process.env['PORT'] ?? 8000);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    log(`PORT must be a port number, not "${process.env['PORT'] ?? ''}".`);
    return 2;
  }

  let server: DemoServer;
  try {
    server = await serveDemo({ port, ready: false });
  } catch (error) {
    const code = (error as { code?: string }).code;
    log(
      code === 'EADDRINUSE'
        ? `Port ${port} is already in use. Stop what runs there, or pick another port: PORT=8001 npm start`
        : `Cannot serve the demo on port ${port}: ${(error as Error).message}`,
    );
    return 4;
  }

  const wasRunning = await readStackInfo();
  let stopping: Promise<never> | undefined;
  const shutdown = (why: string, code: number): Promise<never> => {
    stopping ??= (async () => {
      log(`\n${why}: stopping the demo server${wasRunning ? '' : ' and the local stack'}…`);
      await server.close();
      if (!wasRunning) await stopStack({ log });
      else
        log(
          'The stack was already running before `npm start`; leaving it running (npm run stack:down stops it).',
        );
      process.exit(code);
    })();
    return stopping;
  };
  process.on('SIGINT', () => void shutdown('Ctrl-C', 0));
  process.on('SIGTERM', () => void shutdown('SIGTERM', 0));
  process.on('SIGHUP', () => void shutdown('SIGHUP', 0));

  try {
    let info: StackInfo;
    if (wasRunning) {
      log('Local stack: already running, using it.');
      info = wasRunning;
    } else {
      log(
        'Local stack: starting Synapse, LiveKit and the auth service (the first run installs them, which takes a few minutes)…',
      );
      info = await startStack({
        log: (line) => {
          log(`  ${line}`);
        },
      });
      log(`Local stack: up in ${seconds(t0)}.`);
    }

    const t1 = performance.now();
    const { room } = await provisionDemo(info);
    log(`Demo users alice and bob, encrypted room ${room}: ready in ${seconds(t1)}.`);

    const t2 = performance.now();
    log('Building the CDN bundle (cdn/)…');
    await buildCdn();
    log(`Built in ${seconds(t2)}.`);
    server.ready();

    const page = `http://localhost:${server.port}`;
    const lines = [
      '',
      bold(`matrix-call demo: ${page}/   (ready in ${seconds(t0)})`),
      '',
      'Open these two links in two browser windows (or tabs), one person each.',
      'Each signs in and lands in the lobby of the same end-to-end-encrypted room:',
      '',
      ...DEMO_USERS.flatMap((user) => [
        `  ${user.displayName}:`,
        `  ${demoLink(page, info, room, user)}`,
        '',
      ]),
      `Homeserver ${info.homeserverUrl} (server name ${info.serverName}), SFU ${info.livekitUrl}, auth service ${info.authServiceUrl}.`,
      'The accounts and passwords are local-only demo values. Press Ctrl-C to stop everything.',
    ];
    process.stdout.write(`${lines.join('\n')}\n`);
  } catch (error) {
    if (error instanceof MissingPrerequisiteError || error instanceof PortInUseError) {
      log(`\n${error.message}`);
    } else {
      log(`\nnpm start failed: ${error instanceof Error ? error.message : String(error)}`);
    }
    return shutdown('Start-up failed', 1);
  }
  return new Promise<number>(() => undefined); // serve until a signal
}

process.exitCode = await main();
