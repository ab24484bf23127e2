/**
 * End-to-end harness: each participant is its own Chromium process with its own solid-colour
 * fake camera (a Y4M file) and the fake microphone, loading the demo page from the CDN build
 * and joining through <matrix-call> the way a person does.
 *
 * It also records every secret issued during the run (access tokens from /login and the
 * admin registration, OpenID tokens, JWTs from /sfu/get and /get_token), every console line
 * and every exported diagnostics log, so the suite can prove no secret leaked into them.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { waitFor as poll } from '../support/wait-for.js';
import type { Browser, BrowserContext, Frame, Page, Response } from 'playwright-core';
import {
  deploymentOf,
  readStackInfo,
  startStack,
  stopStack,
  type DeploymentId,
  type StackInfo,
} from '../../stack/index.js';
import {
  createRoom,
  joinRoom,
  registerUser,
  type CreateRoomOptions,
  type ProvisionedUser,
} from '../../stack/provision.js';
import { buildCdn, cdnIsStale, serveDemo, type DemoServer } from '../../scripts/demo-server.js';
import { launchChromium } from '../support/browser.js';

export const ARTIFACTS = resolve('.artifacts/e2e');
export const HELPERS = resolve('test/e2e/page-helpers.js');

/** Colours of the fake cameras, as RGB and as the Y4M's BT.601 limited-range YUV. */
export const COLOURS = {
  red: { rgb: [255, 0, 0], yuv: [81, 90, 240] },
  blue: { rgb: [0, 0, 255], yuv: [41, 240, 110] },
  green: { rgb: [0, 255, 0], yuv: [145, 54, 34] },
  yellow: { rgb: [255, 255, 0], yuv: [210, 16, 146] },
  magenta: { rgb: [255, 0, 255], yuv: [106, 202, 222] },
  cyan: { rgb: [0, 255, 255], yuv: [170, 166, 16] },
} as const;
export type Colour = keyof typeof COLOURS;

/** A solid-colour 320×240 Y4M clip (header `C420`, as Chromium's fake capture wants). */
export function writeY4M(
  path: string,
  [y, u, v]: readonly number[],
  w = 320,
  h = 240,
  frames = 15,
) {
  const frame = Buffer.concat([
    Buffer.from('FRAME\n'),
    Buffer.alloc(w * h, y),
    Buffer.alloc((w * h) / 4, u),
    Buffer.alloc((w * h) / 4, v),
  ]);
  writeFileSync(
    path,
    Buffer.concat([
      Buffer.from(`YUV4MPEG2 W${w} H${h} F15:1 Ip A1:1 C420\n`),
      ...Array<Buffer>(frames).fill(frame),
    ]),
  );
}

/** The shared `waitFor`, polling every 200 ms: each check here is a round trip to a browser. */
export function waitFor<T>(
  what: string,
  check: () => Promise<T> | T,
  timeoutMs = 15_000,
  intervalMs = 200,
): Promise<NonNullable<T>> {
  return poll(what, check, timeoutMs, intervalMs);
}

export interface TileInfo {
  id: string;
  userId: string;
  name: string;
  isLocal: boolean;
  source: 'camera' | 'screen-share';
  encryption: string;
  cameraEnabled: boolean;
  microphoneEnabled: boolean;
  videoShown: boolean;
  avatar: boolean;
  mutedBadge: boolean;
  e2eeBadge: string;
  /** The raised-hand badge shows. */
  handBadge: boolean;
  /** The reaction's emoji on the tile, or empty. */
  reaction: string;
  inSpotlight: boolean;
  inViewport: boolean;
}

export interface MediaStat {
  participantId: string;
  trackId: string;
  source: string;
  kind: 'audio' | 'video';
  framesDecoded: number;
  packetsReceived: number;
  bytesReceived: number;
  frameWidth: number;
  frameHeight: number;
  totalSamplesReceived: number;
  concealedSamples: number;
}

export interface DecodingSample {
  /** `<user ID>|<source>` of the sender. */
  who: string;
  framesDecoded: number;
  /** Seconds. */
  totalInterFrameDelay: number;
  totalSquaredInterFrameDelay: number;
  at: number;
}

export type Watched = 'gone' | 'placeholder' | 'muted' | 'colour';

interface E2E {
  videoDecoding(): Promise<DecodingSample[]>;
  scriptTransforms(): { senders: number; receivers: number };
  view(): string;
  /** The call's error (reason, message, hint), or '' if none. */
  error(): string;
  tiles(): TileInfo[];
  pixel(who: string, source?: string): [number, number, number] | null;
  layout(): string;
  setPageSize(n: number): void;
  camera(who: string): { published: boolean; received: boolean } | null;
  lock(): string;
  joinLabel(): string;
  stats(): Promise<MediaStat[]>;
  diagnostics(): string;
  deviceId(): string;
  control(name: string): void;
  events: { type: string; at: number; reason?: string }[];
  lastClick: number;
  seen: Record<string, number>;
  watch(userId: string, what: Watched, rgb: readonly number[]): void;
}
declare global {
  interface Window {
    __e2e: E2E;
  }
}

/** Keeps every token and JWT a page is given, to scan logs for them later. */
export async function collectSecrets(
  run: E2ERun,
  response: Pick<Response, 'url' | 'json'> & { request(): { method(): string } },
  ours = false,
): Promise<void> {
  const url = response.url();
  const method = response.request().method();
  // A delayed event's ID lets anyone send or cancel it: our delayed leave's is a secret too.
  // (Element Call logs its own at debug level; only our pages' count.)
  const delayed = ours && method === 'PUT' && url.includes('org.matrix.msc4140.delay=');
  if (method !== 'POST' && !delayed) return;
  if (
    !delayed &&
    !/\/login$|\/openid\/request_token$|\/sfu\/get$|\/get_token$|\/refresh$/.test(url)
  )
    return;
  try {
    const body = (await response.json()) as Record<string, unknown>;
    for (const key of ['access_token', 'jwt', 'refresh_token', 'delay_id'])
      if (typeof body[key] === 'string') run.secrets.add(body[key]);
  } catch {
    // no JSON body (failed request)
  }
}

/**
 * Where a secret shows up: each hit names the place and the secret's kind, and quotes the
 * text around it with every secret masked, so the report itself is safe to print.
 */
export function secretLeaks(secrets: Iterable<string>, places: [string, string][]): string[] {
  const all = [...secrets];
  const mask = (text: string) =>
    all.reduce(
      (out, secret, i) =>
        out.replaceAll(secret, `<${secret.startsWith('eyJ') ? 'JWT' : 'token'} #${i}>`),
      text,
    );
  const leaks: string[] = [];
  for (const [where, text] of places) {
    const at = all.map((secret) => text.indexOf(secret)).filter((i) => i >= 0);
    if (at.length === 0) continue;
    const from = Math.max(0, Math.min(...at) - 160);
    leaks.push(`${where}: …${mask(text.slice(from, from + 480))}…`);
  }
  return leaks;
}

/** The main process of the Chromium started with `flag` (its unique fake-camera argument). */
export function browserPid(flag: string): number | undefined {
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const args = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
      if (args.includes(flag) && !args.some((a) => a.startsWith('--type='))) return Number(entry);
    } catch {
      // gone meanwhile
    }
  }
  return undefined;
}

/** What one participant needs to know of another to check it sees them. */
export interface Peer {
  readonly label: string;
  readonly colour: Colour;
  readonly rgb: readonly number[];
  readonly user: ProvisionedUser | undefined;
  /** Whether a decoded pixel is this peer's camera (default: within 20 of `rgb`). */
  showsCamera?(px: readonly number[]): boolean;
}

/** Whether `px` is what `peer`'s camera sends. */
export function looksLike(peer: Peer, px: readonly number[] | null): boolean {
  if (!px) return false;
  if (peer.showsCamera) return peer.showsCamera(px);
  return px.every((c, i) => Math.abs(c - (peer.rgb[i] ?? 0)) <= 20);
}

/** Everything shared by one suite run. */
export class E2ERun {
  readonly secrets = new Set<string>();
  readonly consoleLines: string[] = [];
  readonly diagnosticsLogs: string[] = [];
  /** Uncaught exceptions and unhandled rejections in any page, in order. */
  readonly pageErrors: { label: string; text: string; upstream: boolean }[] = [];
  #pageErrorsChecked = 0;
  /** Requests to the homeserver, auth service and SFU, per page, for the benchmarks. */
  readonly participants = new Set<Participant>();
  private readonly cleanups: (() => Promise<void>)[] = [];

  private constructor(
    readonly stack: StackInfo,
    readonly server: DemoServer,
  ) {}

  /**
   * Uses the running stack (or starts one), builds `cdn/` if stale, serves the demo.
   * `federated`: a federated stack of its own (deployments A and B), stopped by close().
   */
  static async start(opts: { federated?: boolean } = {}): Promise<E2ERun> {
    mkdirSync(ARTIFACTS, { recursive: true });
    const dataDir = opts.federated ? mkdtempSync(join(tmpdir(), 'mc-e2e-federated-')) : undefined;
    const running = dataDir ? undefined : await readStackInfo();
    const stack = running ?? (await startStack(dataDir ? { dataDir, federated: true } : {}));
    if (cdnIsStale()) await buildCdn(process.cwd(), true);
    const server = await serveDemo();
    const run = new E2ERun(stack, server);
    if (!running) run.cleanups.push(() => stopStack(dataDir ? { dataDir } : {}));
    return run;
  }

  /** Records an uncaught exception (or unhandled rejection) of a page. */
  pageError(label: string, error: Error): void {
    const text = `${error.message}\n${error.stack ?? ''}`;
    this.consoleLines.push(`[${label}] pageerror: ${text}`);
    // Element Call's own iframe is not ours to fix; everything else is.
    this.pageErrors.push({ label, text, upstream: text.includes('/element-call') });
  }

  /** Fails (after each test) on any uncaught exception from our code or its dependencies since the last check. */
  assertNoNewPageErrors(): void {
    const fresh = this.pageErrors.slice(this.#pageErrorsChecked);
    this.#pageErrorsChecked = this.pageErrors.length;
    const ours = fresh.filter((e) => !e.upstream);
    assert.deepEqual(
      ours.map((e) => `[${e.label}] ${e.text.slice(0, 400)}`),
      [],
      'uncaught exceptions in the pages',
    );
  }

  /** A new user (display name given) on deployment A or (federated) B, its login left to the page. */
  async user(displayName: string, deployment: DeploymentId = 'a'): Promise<ProvisionedUser> {
    const user = await registerUser(deploymentOf(this.stack, deployment), { displayName });
    this.secrets.add(user.accessToken);
    return user;
  }

  async room(creator: ProvisionedUser, others: ProvisionedUser[], opts: CreateRoomOptions = {}) {
    // On the creator's own homeserver (A's or, federated, B's).
    const home = { homeserverUrl: creator.homeserverUrl };
    const { roomId } = await createRoom(this.stack.federation ? home : this.stack, creator, {
      encrypted: true,
      invite: others,
      ...opts,
      autoJoin: this.stack.federation ? false : (opts.autoJoin ?? true),
    });
    if (this.stack.federation && opts.autoJoin !== false) {
      // Each joins through their own homeserver (over federation for B's users).
      for (const user of others)
        await joinRoom({ homeserverUrl: user.homeserverUrl }, user, roomId, [
          creator.userId.slice(creator.userId.indexOf(':') + 1),
        ]);
    }
    return roomId;
  }

  /**
   * New users with these names in a new room (encrypted unless told), each page in its lobby.
   * `homeserverUrl`: where the pages sign in, e.g. a latency proxy in front of Synapse.
   */
  async setup(
    people: [Participant, string][],
    opts: {
      encrypted?: boolean;
      extra?: (p: Participant) => Record<string, string>;
      homeserverUrl?: string;
    } = {},
  ): Promise<{ room: string; users: ProvisionedUser[] }> {
    const users = await Promise.all(people.map(([, name]) => this.user(name)));
    const [first, ...rest] = users;
    if (!first) throw new Error('nobody');
    const room = await this.room(first, rest, { encrypted: opts.encrypted ?? true });
    await Promise.all(
      people.map(([p], i) => {
        const user = users[i];
        if (!user) throw new Error('missing user');
        const signIn = opts.homeserverUrl ? { ...user, homeserverUrl: opts.homeserverUrl } : user;
        return p.open(signIn, room, { extra: opts.extra?.(p) ?? {} });
      }),
    );
    return { room, users };
  }

  /** The link `npm start` prints: signs in with the password and opens the room's lobby. */
  link(user: ProvisionedUser, room: string, extra: Record<string, string> = {}): string {
    const params = new URLSearchParams({
      homeserver: user.homeserverUrl, // the user's own (A's or B's)
      room,
      user: user.username,
      password: user.password,
      ...extra,
    });
    return `${this.server.url}/#${params.toString()}`;
  }

  async close(): Promise<void> {
    await Promise.allSettled([...this.participants].map((p) => p.close()));
    await this.server.close();
    for (const cleanup of this.cleanups.reverse()) await cleanup();
  }
}

/**
 * The camera and microphone a participant's browser has: Chromium's fake ones (`fake`),
 * none at all (`absent`), or fake ones the browser refuses to give the page (`denied`).
 */
export type MediaDevices = 'fake' | 'absent' | 'denied';

/** One person: a Chromium process with its own camera colour, and their current page. */
export class Participant {
  browser!: Browser;
  context: BrowserContext | undefined;
  page: Page | undefined;
  user: ProvisionedUser | undefined;
  /** The access token the page got from its last /login (for tests that act as its homeserver). */
  accessToken: string | undefined;
  /** Requests (URL origin + path, time) since the page opened: for counting round trips. */
  readonly requests: { at: number; method: string; url: string; done?: number }[] = [];

  constructor(
    readonly run: E2ERun,
    readonly label: string,
    readonly colour: Colour,
    readonly devices: MediaDevices = 'fake',
  ) {}

  get y4m(): string {
    return join(tmpdir(), `matrix-call-e2e-${process.pid}-${this.label}-${this.colour}.y4m`);
  }

  get rgb(): readonly number[] {
    return COLOURS[this.colour].rgb;
  }

  static async launch(
    run: E2ERun,
    label: string,
    colour: Colour,
    devices: MediaDevices = 'fake',
  ): Promise<Participant> {
    const p = new Participant(run, label, colour, devices);
    await p.launch();
    run.participants.add(p);
    return p;
  }

  /** (Re)starts the browser process. */
  async launch(): Promise<void> {
    writeY4M(this.y4m, COLOURS[this.colour].yuv);
    // Without the fake permission prompt, headless Chromium refuses every request
    // (NotAllowedError); without the fake devices it has none (NotFoundError).
    const without =
      this.devices === 'denied'
        ? '--use-fake-ui-for-media-stream'
        : this.devices === 'absent'
          ? '--use-fake-device-for-media-stream'
          : '';
    this.browser = await launchChromium(
      [`--use-file-for-fake-video-capture=${this.y4m}`],
      {},
      without ? [without] : [],
    );
  }

  /** What the browser context is allowed: camera and microphone unless they are refused. */
  private get permissions(): string[] {
    return this.devices === 'denied' ? [] : ['camera', 'microphone'];
  }

  /** The browser's main process (found by its unique fake-camera argument), to kill it like a crash. */
  get pid(): number | undefined {
    return browserPid(`--use-file-for-fake-video-capture=${this.y4m}`);
  }

  /** Opens the demo page as `user` in a fresh context and waits for the lobby. */
  async open(
    user: ProvisionedUser,
    room: string,
    opts: {
      extra?: Record<string, string>;
      viewport?: { width: number; height: number };
      colorScheme?: 'light' | 'dark';
    } = {},
  ): Promise<Page> {
    await this.closePage();
    this.user = user;
    this.requests.length = 0;
    const context = await this.browser.newContext({
      viewport: opts.viewport ?? { width: 960, height: 640 },
      permissions: this.permissions,
      colorScheme: opts.colorScheme ?? 'light',
    });
    await context.addInitScript({ path: HELPERS });
    this.context = context;
    const page = await context.newPage();
    this.page = page;
    this.listen(page);
    await page.goto(this.run.link(user, room, opts.extra));
    await this.waitForView('lobby', 45_000);
    return page;
  }

  /** Opens the demo page as `user` (or signed out), without waiting for any view. */
  async openRaw(
    user: ProvisionedUser | undefined,
    room: string,
    viewport = { width: 960, height: 640 },
  ): Promise<Page> {
    await this.closePage();
    this.user = user;
    const context = await this.browser.newContext({
      viewport,
      permissions: this.permissions,
    });
    await context.addInitScript({ path: HELPERS });
    this.context = context;
    const page = await context.newPage();
    this.page = page;
    this.listen(page);
    await page.goto(user ? this.run.link(user, room) : `${this.run.server.url}/`);
    return page;
  }

  /**
   * Moves the call out of view: its tiles report themselves invisible, so this page stops
   * receiving and decoding video (adaptive stream) but keeps sending its own. Saves CPU
   * when only another participant's view matters (several browsers share 2 cores).
   */
  async stopWatching(): Promise<void> {
    await this.evaluate(() => {
      const el = document.querySelector<HTMLElement>('matrix-call');
      if (el) el.style.transform = 'translateY(300vh)';
    });
  }

  /** Brings the call back into view after stopWatching. */
  async startWatching(): Promise<void> {
    await this.evaluate(() => {
      const el = document.querySelector<HTMLElement>('matrix-call');
      if (el) el.style.transform = '';
    });
  }

  /** Waits until the lobby's camera preview shows frames. */
  async seesLobbyPreview(timeoutMs = 15_000): Promise<void> {
    await waitFor(
      `${this.label}'s lobby preview`,
      () =>
        this.evaluate(() => {
          const video = document
            .querySelector('matrix-call')
            ?.shadowRoot?.querySelector('call-lobby')
            ?.shadowRoot?.querySelector<HTMLVideoElement>('[part~="preview"] video');
          return !!video && video.videoWidth > 0;
        }),
      timeoutMs,
    );
  }

  /** A tag for console lines from a script at `url` that is not ours (a widget host's). */
  protected consoleTag(_url: string): string {
    return '';
  }

  protected listen(page: Page): void {
    const label = this.label;
    page.on('console', (msg) =>
      this.run.consoleLines.push(
        `[${label}]${this.consoleTag(msg.location().url)} ${msg.type()}: ${msg.text()}`,
      ),
    );
    page.on('pageerror', (error) => {
      this.run.pageError(label, error);
    });
    const interesting = (url: string) =>
      url.startsWith(this.run.stack.homeserverUrl) ||
      url.startsWith(this.run.stack.authServiceUrl) ||
      url.startsWith(this.run.stack.livekitUrl.replace(/^ws/, 'http'));
    page.on('request', (request) => {
      const url = request.url();
      if (interesting(url) || url.startsWith(this.run.stack.livekitUrl))
        this.requests.push({ at: Date.now(), method: request.method(), url });
    });
    page.on('websocket', (ws) => {
      this.requests.push({ at: Date.now(), method: 'WS', url: ws.url() });
    });
    page.on('response', (response) => void this.collectSecrets(response));
  }

  /** Keeps every token and JWT the page is given, to scan logs for them later. */
  private async collectSecrets(response: Response): Promise<void> {
    await collectSecrets(this.run, response, true);
    if (response.request().method() !== 'POST' || !response.url().endsWith('/login')) return;
    try {
      const body = (await response.json()) as { access_token?: unknown };
      if (typeof body.access_token === 'string') this.accessToken = body.access_token;
    } catch {
      // a failed login has no token
    }
  }

  /**
   * Runs `fn(arg)` in the document that holds `<matrix-call>` (Playwright here; other
   * browsers' participants override it).
   */
  evaluate<R, A = undefined>(fn: (arg: A) => R | Promise<R>, arg?: A): Promise<R> {
    return this.doc.evaluate(fn as (arg: unknown) => R | Promise<R>, arg as unknown);
  }

  get p(): Page {
    if (!this.page) throw new Error(`${this.label} has no page`);
    return this.page;
  }

  /** The document that holds `<matrix-call>`: the page here, a widget's iframe elsewhere. */
  get doc(): Frame {
    return this.p.mainFrame();
  }

  view(): Promise<string> {
    return this.evaluate(() => window.__e2e.view());
  }

  async waitForView(view: string, timeoutMs = 30_000): Promise<void> {
    await waitFor(
      `${this.label} to show ${view}`,
      async () => {
        const now = await this.view();
        if (now === view) return true;
        // Says what it shows instead, when the wait times out.
        const detail = await this.evaluate(() => window.__e2e.error());
        throw new Error(`${now}: ${detail}`);
      },
      timeoutMs,
    );
  }

  tiles(): Promise<TileInfo[]> {
    return this.evaluate(() => window.__e2e.tiles());
  }

  async remoteTiles(source?: 'camera' | 'screen-share'): Promise<TileInfo[]> {
    return (await this.tiles()).filter((t) => !t.isLocal && (!source || t.source === source));
  }

  pixel(who: string, source: 'camera' | 'screen-share' = 'camera') {
    return this.evaluate(([w, s]) => window.__e2e.pixel(w, s), [who, source] as const);
  }

  stats(): Promise<MediaStat[]> {
    return this.evaluate(() => window.__e2e.stats());
  }

  /** Starts watching, in the page, for the moment `userId`'s tile reaches `what`. */
  async watch(userId: string, what: Watched, rgb: readonly number[] = []): Promise<void> {
    await this.evaluate(
      ([id, w, colour]) => {
        window.__e2e.watch(id, w, colour);
      },
      [userId, what, rgb] as const,
    );
  }

  /** When (Date.now() in the page) `userId`'s tile reached `what`, waiting up to `timeoutMs`. */
  seenAt(userId: string, what: Watched, timeoutMs: number): Promise<number> {
    return waitFor(
      `${this.label} to see ${what} for ${userId}`,
      () => this.evaluate((key) => window.__e2e.seen[key], `${what}:${userId}`),
      timeoutMs,
      100,
    );
  }

  /** Date.now() of the page's last click, as the page saw it. */
  lastClick(): Promise<number> {
    return this.evaluate(() => window.__e2e.lastClick);
  }

  async clickJoin(): Promise<number> {
    const button = this.doc.locator('matrix-call [part~="join-button"]');
    await button.waitFor({ state: 'visible', timeout: 10_000 });
    const at = Date.now();
    // No navigation follows; waiting for one stalls on a starved renderer (6 browsers, 2 cores).
    await button.click({ timeout: 10_000, noWaitAfter: true });
    return at;
  }

  /** Clicks Join and waits until in the call. */
  async join(): Promise<void> {
    await this.clickJoin();
    await this.waitForView('in-call', 45_000);
  }

  async control(part: string): Promise<void> {
    await this.doc
      .locator(`matrix-call call-controls [part~="${part}"]`)
      .click({ timeout: 10_000, noWaitAfter: true });
  }

  async leave(): Promise<number> {
    const at = Date.now();
    await this.control('leave-button');
    return at;
  }

  /** Sum of framesDecoded over the remote video tracks of `userId`. */
  async framesFrom(userId: string, source = 'camera'): Promise<number> {
    return (await this.framesOfEach([userId], source))[0] ?? 0;
  }

  /** framesFrom for each of `userIds`, from one stats and one tiles read of the page. */
  async framesOfEach(userIds: string[], source = 'camera'): Promise<number[]> {
    const stats = (await this.stats()).filter((s) => s.kind === 'video' && s.source === source);
    const tiles = (await this.tiles()).filter((t) => !t.isLocal);
    // A LiveKit identity is `<user>:<device>`, or a hash (sticky `matrix_2_0` memberships):
    // then the tile of that user names it.
    return userIds.map((userId) => {
      const ids = new Set(tiles.filter((t) => t.userId === userId).map((t) => t.id));
      return stats
        .filter((s) => s.participantId.startsWith(`${userId}:`) || ids.has(s.participantId))
        .reduce((n, s) => n + s.framesDecoded, 0);
    });
  }

  /**
   * Proves we see `other`: their tile's centre pixel has their camera colour (±20), their
   * frames keep being decoded, and the tile reports no encryption trouble.
   */
  seesVideoOf(other: Peer, timeoutMs = 30_000): Promise<void> {
    return this.seesVideoOfEach([other], timeoutMs);
  }

  /**
   * seesVideoOf for several people at once, with one page read per poll for all of them: on
   * a starved machine, five pollers each calling getStats four times a second slowed the
   * very decoding they measured.
   */
  async seesVideoOfEach(others: Peer[], timeoutMs = 30_000): Promise<void> {
    const idOf = (o: Peer) => o.user?.userId ?? '';
    const names = others.map((o) => o.label).join(', ');
    let pending = [...others];
    try {
      await waitFor(
        `${this.label} to see ${names} in their colours`,
        async () => {
          const still: Peer[] = [];
          for (const o of pending) {
            const px = await this.pixel(idOf(o));
            if (!looksLike(o, px)) still.push(o);
          }
          pending = still;
          return pending.length === 0;
        },
        timeoutMs,
        250,
      );
    } catch (error) {
      // Say what the tile showed instead, and what the receiver got.
      throw new Error(`${(error as Error).message}; ${await this.describe(pending)}`);
    }
    const ids = others.map(idOf);
    const before = await this.framesOfEach(ids);
    let after = before;
    try {
      await waitFor(
        `${this.label} to keep decoding the frames of ${names}`,
        async () => {
          after = await this.framesOfEach(ids);
          return after.every((n, i) => n >= (before[i] ?? 0) + 5);
        },
        10_000,
        500,
      );
    } catch (error) {
      const stuck = others.filter((_, i) => (after[i] ?? 0) < (before[i] ?? 0) + 5);
      throw new Error(
        `${(error as Error).message}; frames ${JSON.stringify(before)} → ${JSON.stringify(after)}; ${await this.describe(stuck)}`,
      );
    }
    // The tile follows within a moment: no "waiting for key" or "cannot decrypt" badge while
    // frames decode (the core re-checks decoding every 500 ms while a badge shows).
    pending = [...others];
    try {
      await waitFor(
        `${this.label} to show no encryption problem for ${names}`,
        async () => {
          const tiles = await this.tiles();
          pending = pending.filter((o) => {
            const tile = tiles.find((t) => t.userId === idOf(o) && t.source === 'camera');
            if (!tile) throw new Error(`no tile for ${o.label}`);
            if (tile.encryption === 'waiting-for-key' || tile.encryption === 'key-invalid')
              throw new Error(`${o.label}: ${tile.encryption}, badge "${tile.e2eeBadge}"`);
            return !(tile.videoShown && !tile.e2eeBadge);
          });
          if (pending.length === 0) return true;
          throw new Error(`${pending[0]?.label}'s tile shows ${JSON.stringify(tiles)}`);
        },
        5000,
        100,
      );
    } catch (error) {
      // What this page's key and E2EE log says about them (it holds no secrets).
      const { entries } = JSON.parse(await this.evaluate(() => window.__e2e.diagnostics())) as {
        entries: { time: string; category: string; message: string; fields?: object }[];
      };
      const log = entries
        .filter(
          (e) =>
            /keys|e2ee/.test(e.category) &&
            pending.some((o) => JSON.stringify(e.fields).includes(idOf(o))),
        )
        .slice(-12)
        .map((e) => `${e.time} ${e.message} ${JSON.stringify(e.fields)}`);
      throw new Error(`${(error as Error).message}\n${log.join('\n')}`);
    }
  }

  /** Each person's camera tile, centre pixel and receiver stats on this page. */
  private async describe(people: Peer[]): Promise<string> {
    const tiles = await this.tiles();
    const stats = await this.stats();
    const parts: string[] = [];
    for (const o of people) {
      const userId = o.user?.userId ?? '';
      const tile = tiles.find((t) => t.userId === userId && t.source === 'camera');
      parts.push(
        `${o.label}: tile ${JSON.stringify(tile ?? null)}, pixel ${JSON.stringify(await this.pixel(userId))}, stats ${JSON.stringify(stats.filter((x) => x.participantId.startsWith(`${userId}:`)))}`,
      );
    }
    return parts.join('; ');
  }

  async screenshot(name: string): Promise<string> {
    const file = join(ARTIFACTS, `${name}-${this.label}.png`);
    await this.p.mouse.move(1, 1); // no hover tooltip left over from the last click
    await this.p.screenshot({ path: file, timeout: 15_000 });
    return file;
  }

  /** Waits until our own tile shows our own camera colour (the self view works). */
  async seesSelf(timeoutMs = 10_000): Promise<void> {
    const userId = this.user?.userId ?? '';
    await waitFor(
      `${this.label}'s self view to show ${this.colour}`,
      async () => {
        const px = await this.pixel(userId);
        return looksLike(this, px);
      },
      timeoutMs,
      250,
    );
  }

  /** This page's diagnostics log as it exports it (redacted). */
  diagnosticsText(): Promise<string> {
    return this.evaluate(() => window.__e2e.diagnostics());
  }

  /** Keeps this page's diagnostics log for the secret scan. */
  async keepDiagnostics(): Promise<void> {
    if (!this.page || this.page.isClosed()) return;
    try {
      this.run.diagnosticsLogs.push(await this.evaluate(() => window.__e2e.diagnostics()));
    } catch {
      // a page that crashed has nothing to give
    }
  }

  /** Exports diagnostics, then closes the page (the membership leaves with it). */
  async closePage(): Promise<void> {
    await this.keepDiagnostics();
    const context = this.context;
    this.context = undefined;
    this.page = undefined;
    await context?.close().catch(() => undefined);
  }

  /** Kills the browser process, as a crash would (no pagehide, no leave). */
  kill(): void {
    const pid = this.pid;
    if (!pid) throw new Error('no browser pid');
    // Playwright starts Chromium in its own process group: kill all of it at once.
    process.kill(-pid, 'SIGKILL');
    this.context = undefined;
    this.page = undefined;
  }

  async close(): Promise<void> {
    await this.closePage();
    await this.browser.close().catch(() => undefined);
  }
}

/** Everyone in `people` sees every other one's video, decoding. */
export async function allSeeAll(people: Participant[], timeoutMs = 30_000): Promise<void> {
  await Promise.all(
    people.map((me) =>
      me.seesVideoOfEach(
        people.filter((other) => other !== me),
        timeoutMs,
      ),
    ),
  );
}

/** Starts each page watching for every other one's tile to vanish. */
export async function watchForVanishing(people: Participant[]): Promise<void> {
  for (const me of people)
    for (const other of people) if (other !== me) await me.watch(other.user?.userId ?? '', 'gone');
}

/** Who saw whose tile vanish since watchForVanishing. */
export async function vanished(people: Participant[]): Promise<string[]> {
  const seen: string[] = [];
  for (const me of people) {
    const marks = await me.evaluate(() => window.__e2e.seen);
    for (const key of Object.keys(marks))
      if (key.startsWith('gone:')) seen.push(`${me.label} lost ${key.slice(5)}`);
  }
  return seen;
}
