/**
 * The media side of the simulated members of a large call: one headless Chromium, one page,
 * one LiveKit room per member (bench/large-call-swarm-page.js). A 320×180 canvas at 10 fps in
 * two simulcast layers (180p and 90p) and an Opus tone each: 50 of them fit on 2 cores beside
 * the receiver, which full fake cameras in 50 browsers would not.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { launchChromium } from '../test/support/browser.js';
import type { Grant } from './large-call-member.js';

const LIVEKIT_UMD = resolve('node_modules/livekit-client/dist/livekit-client.umd.js');
const E2EE_WORKER = resolve('node_modules/livekit-client/dist/livekit-client.e2ee.worker.js');
const PAGE_SCRIPT = resolve('bench/large-call-swarm-page.js');

declare global {
  interface Window {
    __swarm: {
      setWorkerSource(source: string): void;
      add(
        id: string,
        url: string,
        jwt: string,
        keyB64: string,
        rgb: readonly number[],
      ): Promise<void>;
      setLoud(id: string): void;
      remove(id: string): Promise<void>;
      publishedCount(): number;
    };
  }
}

export class Swarm {
  private constructor(
    readonly browser: Browser,
    readonly page: Page,
  ) {}

  /** `origin`: any page of ours on 127.0.0.1, for a secure context. */
  static async launch(origin: string): Promise<Swarm> {
    const browser = await launchChromium();
    const page = await browser.newPage();
    page.on('console', (m) => {
      console.log(`[swarm] ${m.text()}`);
    });
    page.on('pageerror', (e) => {
      console.error(`[swarm] pageerror ${e.message}`);
    });
    await page.goto(`${origin}/large-call-swarm`);
    await page.addScriptTag({ path: LIVEKIT_UMD });
    await page.addScriptTag({ path: PAGE_SCRIPT });
    await page.evaluate(
      (src) => {
        window.__swarm.setWorkerSource(src);
      },
      readFileSync(E2EE_WORKER, 'utf8'),
    );
    return new Swarm(browser, page);
  }

  add(id: string, grant: Grant, keyB64: string, rgb: readonly number[]): Promise<void> {
    return this.page.evaluate(([a, b, c, d, e]) => window.__swarm.add(a, b, c, d, e), [
      id,
      grant.url,
      grant.jwt,
      keyB64,
      rgb,
    ] as const);
  }

  /** Only `id` makes a sound. */
  setLoud(id: string): Promise<void> {
    return this.page.evaluate((a) => {
      window.__swarm.setLoud(a);
    }, id);
  }

  remove(id: string): Promise<void> {
    return this.page.evaluate((a) => window.__swarm.remove(a), id);
  }

  async close(): Promise<void> {
    await this.browser.close();
  }
}
