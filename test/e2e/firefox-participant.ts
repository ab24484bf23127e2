/**
 * A participant in Debian's Firefox ESR, driven over WebDriver BiDi by puppeteer-core (no
 * geckodriver, no browser download). Playwright cannot drive a stock Firefox, so this
 * overrides the page plumbing of `Participant`; everything it checks is the same.
 *
 * Its camera is Firefox's own fake one (`media.navigator.streams.fake`): a full frame of one
 * colour whose hue walks around the colour wheel (about a turn in 30 s) at a fixed luma, with
 * a small time stamp in the top-left corner. No pref sets a solid colour, so its peers check
 * for that signature: a strongly saturated centre pixel that keeps changing hue.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as puppeteer from 'puppeteer-core';
import type { ProvisionedUser } from '../../stack/provision.js';
import { firefoxLaunchOptions } from '../../scripts/firefox.mjs';
import { startSoundServer } from '../../scripts/sound-server.mjs';
import { ARTIFACTS, collectSecrets, Participant, waitFor, type E2ERun } from './harness.js';

const HELPERS = readFileSync('test/e2e/page-helpers.js', 'utf8');

/**
 * Whether `px` is a frame of Firefox's fake camera: its luma is fixed and its chroma on the
 * edge of the colour square, so one channel is (near) 0 or 255 and the spread between the
 * largest and smallest channel is at least ~170 (130 after lossy coding, to be safe). Grey,
 * black, a placeholder and a frame that was not decrypted never pass.
 */
export function isFirefoxFakeFrame(px: readonly number[]): boolean {
  const [r = 0, g = 0, b = 0] = px;
  return Math.max(r, g, b) - Math.min(r, g, b) >= 130;
}

export class FirefoxParticipant extends Participant {
  ff: puppeteer.Browser | undefined;
  ffContext: puppeteer.BrowserContext | undefined;
  ffPage: puppeteer.Page | undefined;
  #sound: Awaited<ReturnType<typeof startSoundServer>> | undefined;

  /** `colour` is only a label here: Firefox's fake camera picks its own colours. */
  static override async launch(run: E2ERun, label: string): Promise<FirefoxParticipant> {
    const p = new FirefoxParticipant(run, label, 'green');
    await p.launch();
    run.participants.add(p);
    return p;
  }

  showsCamera(px: readonly number[]): boolean {
    return isFirefoxFakeFrame(px);
  }

  override async launch(): Promise<void> {
    // Its own null sink: without an audio output Firefox never starts an AudioContext.
    this.#sound ??= await startSoundServer();
    this.ff = await puppeteer.launch({
      ...firefoxLaunchOptions(),
      env: { ...process.env, ...this.#sound.env },
      protocolTimeout: 60_000,
    });
  }

  override get pid(): number | undefined {
    return this.ff?.process()?.pid;
  }

  override async open(
    user: ProvisionedUser,
    room: string,
    opts: { extra?: Record<string, string>; viewport?: { width: number; height: number } } = {},
  ): Promise<never> {
    await this.closePage();
    if (!this.ff) throw new Error(`${this.label} has no browser`);
    this.user = user;
    this.requests.length = 0;
    this.ffContext = await this.ff.createBrowserContext();
    const page = await this.ffContext.newPage();
    this.ffPage = page;
    await page.setViewport(opts.viewport ?? { width: 960, height: 640 });
    await page.evaluateOnNewDocument(HELPERS);
    this.listenTo(page);
    await page.goto(this.run.link(user, room, opts.extra));
    await this.waitForView('lobby', 45_000);
    // Callers of Participant.open get a Playwright page; nobody uses it for Firefox.
    return undefined as never;
  }

  override openRaw(): Promise<never> {
    throw new Error('openRaw: not for Firefox participants');
  }

  override get p(): never {
    throw new Error(
      `${this.label} is a Firefox participant: use its methods, not a Playwright page`,
    );
  }

  override evaluate<R, A = undefined>(fn: (arg: A) => R | Promise<R>, arg?: A): Promise<R> {
    if (!this.ffPage) throw new Error(`${this.label} has no page`);
    return this.ffPage.evaluate(fn as (arg: unknown) => R | Promise<R>, arg);
  }

  private listenTo(page: puppeteer.Page): void {
    const label = this.label;
    page.on('console', (msg) =>
      this.run.consoleLines.push(`[${label}] ${msg.type()}: ${msg.text()}`),
    );
    page.on('pageerror', (error) => {
      this.run.pageError(label, error as Error);
    });
    page.on('response', (response) => void collectSecrets(this.run, response, true));
  }

  /** Clicks a part inside <matrix-call> (`>>>` pierces the shadow roots on the way). */
  private async clickPart(selector: string): Promise<void> {
    if (!this.ffPage) throw new Error(`${this.label} has no page`);
    await this.ffPage.locator(selector).setTimeout(10_000).click();
  }

  override async clickJoin(): Promise<number> {
    const at = Date.now();
    await this.clickPart('matrix-call >>> [part~="join-button"]');
    return at;
  }

  override async control(part: string): Promise<void> {
    await this.clickPart(`matrix-call >>> call-controls >>> [part~="${part}"]`);
  }

  override async screenshot(name: string): Promise<string> {
    if (!this.ffPage) throw new Error(`${this.label} has no page`);
    const file = join(ARTIFACTS, `${name}-${this.label}.png`) as `${string}.png`;
    await this.ffPage.screenshot({ path: file });
    return file;
  }

  override async keepDiagnostics(): Promise<void> {
    if (!this.ffPage || this.ffPage.isClosed()) return;
    try {
      this.run.diagnosticsLogs.push(await this.evaluate(() => window.__e2e.diagnostics()));
    } catch {
      // a page that crashed has nothing to give
    }
  }

  override async closePage(): Promise<void> {
    await this.keepDiagnostics();
    const context = this.ffContext;
    this.ffContext = undefined;
    this.ffPage = undefined;
    await context?.close().catch(() => undefined);
  }

  override kill(): void {
    const pid = this.pid;
    if (!pid) throw new Error('no browser pid');
    process.kill(pid, 'SIGKILL');
    this.ffContext = undefined;
    this.ffPage = undefined;
  }

  override async close(): Promise<void> {
    await this.closePage();
    await this.ff?.close().catch(() => undefined);
    this.ff = undefined;
    await this.#sound?.stop();
    this.#sound = undefined;
  }
}

/**
 * Proves `observer` shows live video of `other` (a Firefox participant): the centre pixel of
 * their tile is a fake-camera frame, and its hue moves within seconds (a frozen or repeated
 * frame would not).
 */
export async function seesMovingFakeCamera(
  observer: Participant,
  other: Participant,
  timeoutMs = 15_000,
): Promise<void> {
  const userId = other.user?.userId ?? '';
  const first = await waitFor(
    `${observer.label} to see a frame of ${other.label}'s fake camera`,
    async () => {
      const px = await observer.pixel(userId);
      return px && isFirefoxFakeFrame(px) ? px : undefined;
    },
    timeoutMs,
    250,
  );
  await waitFor(
    `${observer.label} to see ${other.label}'s fake camera change colour`,
    async () => {
      const px = await observer.pixel(userId);
      return (
        !!px && isFirefoxFakeFrame(px) && px.some((c, i) => Math.abs(c - (first[i] ?? 0)) >= 20)
      );
    },
    timeoutMs,
    250,
  );
}
