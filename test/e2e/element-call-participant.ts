/**
 * A person on Element Call: their own Chromium with their own solid-colour fake camera, loading
 * the test widget host, which signs in, starts a MatrixClient with Rust crypto and shows the
 * published Element Call build in an iframe, as Element Web does. What Element Call decodes is
 * read inside its iframe (element-call-helpers.js): the centre pixel of each video, the inbound
 * RTP statistics of its peer connections.
 */
import { resolve } from 'node:path';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, BrowserContext, Frame, Page } from 'playwright-core';
import type { ProvisionedUser } from '../../stack/provision.js';
import { launchChromium } from '../support/browser.js';
import type { WidgetHostServer } from '../widget-host/serve.js';
import type { HostInfo, HostStartOptions } from '../widget-host/host-page.js';
import type { HostRecord } from '../widget-host/widget-host.js';
import {
  ARTIFACTS,
  COLOURS,
  browserPid,
  collectSecrets,
  waitFor,
  writeY4M,
  type Colour,
  type E2ERun,
  type Peer,
} from './harness.js';

const HELPERS = resolve('test/e2e/element-call-helpers.js');

export interface EcTile {
  name: string;
  /** From the avatar's label. */
  userId: string;
  /** `<user>:<device>:0:screen-share` on a screen-share tile; else empty. */
  dataId: string;
  screenShare: boolean;
  inSpotlight: boolean;
  /** The tile's own `data-video-enabled`: false shows the avatar. */
  videoEnabled: boolean;
  videoShown: boolean;
  avatarShown: boolean;
  /** The name tag's microphone icon says "Microphone off". */
  micMuted: boolean;
  /** Element Call's raised-hand indicator (✋) shows on the tile. */
  raisedHand: boolean;
  /** The emoji of the reaction shown on the tile, or empty. */
  reaction: string;
  trackIds: string[];
}

export interface EcVideo {
  name: string;
  userId: string;
  trackIds: string[];
  pixel: [number, number, number] | null;
  w: number;
}

export interface EcInbound {
  kind: 'audio' | 'video';
  trackId: string;
  framesDecoded: number;
  packetsReceived: number;
  totalSamplesReceived: number;
  concealedSamples: number;
}

interface EcHelpers {
  lastClick(): number;
  seen: Record<string, number>;
  watchColour(userId: string, rgb: readonly number[]): void;
  tiles(): EcTile[];
  pixels(): EcVideo[];
  inbound(): Promise<EcInbound[]>;
}
declare global {
  interface Window {
    __ec: EcHelpers;
  }
}

export type { HostRecord };

/** Marks console lines that come from Element Call's iframe (its scripts), not the host. */
export const ELEMENT_CALL_FRAME_TAG = '{element-call iframe}';

export interface OpenOptions {
  /** Shared-secret E2EE (Element Call's `password` URL parameter). */
  secret?: string;
  /** RegExp sources of capabilities the host refuses. */
  deny?: string[];
  /** `matrix2` loads Element Call with `matrix_rtc_mode: "matrix_2_0"`. */
  mode?: 'default' | 'matrix2';
  extra?: Record<string, string>;
  /** Where the host signs in, e.g. a latency proxy in front of Synapse. */
  homeserverUrl?: string;
}

const near = (px: readonly number[] | null, rgb: readonly number[]) =>
  !!px && px.every((c, i) => Math.abs(c - (rgb[i] ?? 0)) <= 20);

export class ElementCallParticipant implements Peer {
  browser!: Browser;
  context: BrowserContext | undefined;
  page: Page | undefined;
  user: ProvisionedUser | undefined;
  info: HostInfo | undefined;

  constructor(
    readonly run: E2ERun,
    readonly server: WidgetHostServer,
    readonly label: string,
    readonly colour: Colour,
  ) {}

  get y4m(): string {
    return join(tmpdir(), `matrix-call-e2e-${process.pid}-ec-${this.label}-${this.colour}.y4m`);
  }

  get rgb(): readonly number[] {
    return COLOURS[this.colour].rgb;
  }

  static async launch(
    run: E2ERun,
    server: WidgetHostServer,
    label: string,
    colour: Colour,
  ): Promise<ElementCallParticipant> {
    const p = new ElementCallParticipant(run, server, label, colour);
    await p.launch();
    return p;
  }

  async launch(): Promise<void> {
    writeY4M(this.y4m, COLOURS[this.colour].yuv);
    this.browser = await launchChromium([`--use-file-for-fake-video-capture=${this.y4m}`]);
  }

  get p(): Page {
    if (!this.page) throw new Error(`${this.label} has no page`);
    return this.page;
  }

  /** Element Call's iframe. */
  get frame(): Frame {
    const frame = this.p.frames().find((f) => f.url().includes('/element-call'));
    if (!frame) throw new Error(`${this.label} shows no Element Call frame`);
    return frame;
  }

  /** Opens the host page as `user`, shows Element Call for `roomId` and waits for its lobby. */
  async open(user: ProvisionedUser, roomId: string, opts: OpenOptions = {}): Promise<HostInfo> {
    await this.closePage();
    this.user = user;
    const context = await this.browser.newContext({
      viewport: { width: 960, height: 640 },
      permissions: ['camera', 'microphone'],
      colorScheme: 'light',
    });
    await context.addInitScript({ path: HELPERS });
    this.context = context;
    const page = await context.newPage();
    this.page = page;
    const label = this.label;
    page.on('console', (msg) => {
      const fromEc = msg.location().url.includes('/element-call');
      this.run.consoleLines.push(
        `[${label}]${fromEc ? ` ${ELEMENT_CALL_FRAME_TAG}` : ''} ${msg.type()}: ${msg.text()}`,
      );
    });
    page.on('pageerror', (error) => {
      this.run.pageError(label, error);
    });
    page.on('response', (response) => void collectSecrets(this.run, response));
    await page.goto(this.server.hostUrl);
    const start: HostStartOptions = {
      homeserver: opts.homeserverUrl ?? this.run.stack.homeserverUrl,
      username: user.username,
      password: user.password,
      roomId,
      widgetBase:
        opts.mode === 'matrix2' ? this.server.elementCallMatrix2Url : this.server.elementCallUrl,
      ...(opts.secret !== undefined ? { secret: opts.secret } : {}),
      ...(opts.deny ? { deny: opts.deny } : {}),
      ...(opts.extra ? { extra: opts.extra } : {}),
    };
    this.info = await page.evaluate((o) => window.__host.start(o), start);
    await this.frameLocator('[data-testid="lobby_joinCall"]').waitFor({
      state: 'visible',
      timeout: 45_000,
    });
    return this.info;
  }

  frameLocator(selector: string) {
    return this.p.frameLocator('iframe').locator(selector);
  }

  /** Clicks "Join call" in Element Call's lobby; returns when (Date.now()) it was clicked. */
  async clickJoin(): Promise<number> {
    const button = this.frameLocator('[data-testid="lobby_joinCall"]');
    await button.waitFor({ state: 'visible', timeout: 10_000 });
    const at = Date.now();
    await button.click({ timeout: 10_000 });
    return at;
  }

  /** Joins and waits until Element Call is in the call (its leave button shows). */
  async join(): Promise<void> {
    await this.clickJoin();
    await this.frameLocator('[data-testid="incall_leave"]').waitFor({
      state: 'visible',
      timeout: 45_000,
    });
  }

  /** A new widget on the same client and device, as Element Web makes per call; then joins. */
  async rejoin(): Promise<void> {
    this.info = await this.p.evaluate(() => window.__host.restartWidget());
    await this.frameLocator('[data-testid="lobby_joinCall"]').waitFor({
      state: 'visible',
      timeout: 45_000,
    });
    await this.join();
  }

  async control(
    testId: 'incall_leave' | 'incall_mute' | 'incall_videomute' | 'incall_screenshare',
  ) {
    await this.frameLocator(`[data-testid="${testId}"]`).click({ timeout: 10_000 });
  }

  async leave(): Promise<number> {
    const at = Date.now();
    await this.control('incall_leave');
    return at;
  }

  /** Presses a key in Element Call's frame, as its keyboard shortcuts expect (`h`, `1`…`5`). */
  async press(key: string): Promise<void> {
    await this.frame.locator('body').press(key, { timeout: 10_000 });
  }

  /** Sends a host → widget action (e.g. `io.element.device_mute`); resolves to the widget's reply. */
  sendAction(action: string, data: Record<string, unknown> = {}): Promise<unknown> {
    return this.p.evaluate(([a, d]) => window.__host.send(a, d), [action, data] as const);
  }

  records(): Promise<HostRecord[]> {
    return this.p.evaluate(() => window.__host.records);
  }

  tiles(): Promise<EcTile[]> {
    return this.frame.evaluate(() => window.__ec.tiles());
  }

  videos(): Promise<EcVideo[]> {
    return this.frame.evaluate(() => window.__ec.pixels());
  }

  inbound(): Promise<EcInbound[]> {
    return this.frame.evaluate(() => window.__ec.inbound());
  }

  /** Tiles shown for `other` (camera and screen share). */
  async tilesOf(other: Peer): Promise<EcTile[]> {
    return (await this.tiles()).filter((t) => t.userId === other.user?.userId);
  }

  /** Frames decoded so far from the tracks of the videos showing `rgb`. */
  private async framesOfColour(rgb: readonly number[]): Promise<number> {
    const tracks = new Set(
      (await this.videos()).filter((v) => near(v.pixel, rgb)).flatMap((v) => v.trackIds),
    );
    return (await this.inbound())
      .filter((s) => s.kind === 'video' && tracks.has(s.trackId))
      .reduce((n, s) => n + s.framesDecoded, 0);
  }

  /**
   * Proves Element Call shows `other`: a video on their tile (by display name) has their camera
   * colour (±20), and its track keeps decoding frames.
   */
  async seesVideoOf(other: Peer, timeoutMs = 30_000): Promise<void> {
    const userId = other.user?.userId ?? '';
    try {
      await waitFor(
        `${this.label} (Element Call) to see ${other.label}'s ${other.colour} video`,
        async () =>
          (await this.videos()).some((v) => v.userId === userId && near(v.pixel, other.rgb)),
        timeoutMs,
        250,
      );
    } catch (error) {
      throw new Error(
        `${(error as Error).message}; videos ${JSON.stringify(await this.videos().catch(() => []))}, tiles ${JSON.stringify(await this.tiles().catch(() => []))}`,
      );
    }
    const before = await this.framesOfColour(other.rgb);
    await waitFor(
      `${this.label} (Element Call) to keep decoding ${other.label}'s frames`,
      async () => (await this.framesOfColour(other.rgb)) >= before + 5,
      10_000,
      250,
    );
  }

  /** Starts watching, in Element Call's frame, for `other`'s camera colour on their tile. */
  async watchColour(other: Peer): Promise<void> {
    await this.frame.evaluate(
      ([id, rgb]) => {
        window.__ec.watchColour(id, rgb);
      },
      [other.user?.userId ?? '', other.rgb] as const,
    );
  }

  /** When (Date.now() in the frame) `other`'s colour was first seen, waiting up to `timeoutMs`. */
  seenColourAt(other: Peer, timeoutMs: number): Promise<number> {
    return waitFor(
      `${this.label} (Element Call) to see ${other.label}'s colour`,
      () => this.frame.evaluate((id) => window.__ec.seen[id], other.user?.userId ?? ''),
      timeoutMs,
      100,
    );
  }

  /** Date.now() of the last click in Element Call's frame. */
  lastClick(): Promise<number> {
    return this.frame.evaluate(() => window.__ec.lastClick());
  }

  /** Decoded (not concealed) audio samples over all inbound audio, now. */
  async decodedAudioSamples(): Promise<number> {
    return (await this.inbound())
      .filter((s) => s.kind === 'audio')
      .reduce((n, s) => n + s.totalSamplesReceived - s.concealedSamples, 0);
  }

  async screenshot(name: string): Promise<string> {
    const file = join(ARTIFACTS, `${name}-${this.label}.png`);
    await this.p.mouse.move(1, 1);
    await this.p.screenshot({ path: file, timeout: 15_000 });
    return file;
  }

  get pid(): number | undefined {
    return browserPid(`--use-file-for-fake-video-capture=${this.y4m}`);
  }

  /** Kills the browser process, as a crash would (no hang-up, no leave event). */
  kill(): void {
    const pid = this.pid;
    if (!pid) throw new Error('no browser pid');
    process.kill(-pid, 'SIGKILL');
    this.context = undefined;
    this.page = undefined;
  }

  async closePage(): Promise<void> {
    const context = this.context;
    this.context = undefined;
    this.page = undefined;
    await context?.close().catch(() => undefined);
  }

  async close(): Promise<void> {
    await this.closePage();
    await this.browser.close().catch(() => undefined);
  }
}
