// Proves the CDN build works the way a plain page uses it: one <script type="module">,
// served by a static server, no import map, no node_modules, and the heavy parts
// (livekit-client, matrix-js-sdk, crypto wasm, E2EE worker) loaded only on demand.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { launchChromium } from '../support/browser.js';
import { serveStatic, type StaticServer } from '../support/static-server.js';

const page = `<!doctype html>
<html lang="en">
  <head><meta charset="utf-8"><title>CDN load</title></head>
  <body>
    <script type="module" src="/cdn/matrix-call.js"></script>
    <matrix-call room="!nowhere:example.org"></matrix-call>
  </body>
</html>`;

void describe('CDN build', () => {
  let site: string;
  let server: StaticServer;
  let browser: Browser;

  before(async () => {
    assert.ok(existsSync('cdn/matrix-call.js'), 'run `npm run build` first');
    site = mkdtempSync(join(tmpdir(), 'matrix-call-cdn-'));
    cpSync('cdn', join(site, 'cdn'), { recursive: true });
    writeFileSync(join(site, 'index.html'), page);
    server = await serveStatic(site);
    browser = await launchChromium();
  });

  after(async () => {
    await browser.close();
    await server.close();
    rmSync(site, { recursive: true, force: true });
  });

  async function openPage(): Promise<{ page: Page; requests: string[]; failures: string[] }> {
    const context = await browser.newContext();
    const p = await context.newPage();
    const requests: string[] = [];
    const failures: string[] = [];
    p.on('request', (r) => requests.push(new URL(r.url()).pathname));
    p.on('requestfailed', (r) => failures.push(`${r.url()} ${r.failure()?.errorText ?? ''}`));
    p.on('response', (r) => {
      if (r.status() >= 400) failures.push(`${r.url()} HTTP ${r.status()}`);
    });
    p.on('pageerror', (e) => failures.push(`page error: ${e.message}`));
    await p.goto(`${server.url}/`);
    await p.waitForFunction(() => customElements.get('matrix-call') !== undefined, null, {
      timeout: 10_000,
    });
    return { page: p, requests, failures };
  }

  void it('defines the elements from one script tag and loads nothing heavy up front', async () => {
    const { page: p, requests, failures } = await openPage();
    await p.waitForLoadState('networkidle');
    assert.deepEqual(failures, []);
    // The entry, plus (this page has no session, so it shows sign-in) the small chunk of the
    // rarely shown views; nothing of the call engine.
    const scripts = requests.filter((r) => r.endsWith('.js'));
    assert.deepEqual(
      scripts.filter((r) => !/^\/cdn\/chunks\/rare-views-[\w-]+\.js$/.test(r)),
      ['/cdn/matrix-call.js'],
      'only the entry (and the rare views) load before a call',
    );
    assert.ok(scripts.length <= 2, scripts.join(', '));
    assert.ok(!requests.some((r) => r.endsWith('.wasm')), 'no wasm before a call');
    assert.equal(await p.evaluate(() => document.querySelector('matrix-call')?.shadowRoot !== null), true);
    await p.context().close();
  });

  void it('loads the call engine as chunks next to the entry, on demand', async () => {
    const { page: p, requests, failures } = await openPage();
    await p.evaluate(async () => {
      const ctor = customElements.get('matrix-call') as unknown as { preload(): Promise<void> };
      await ctor.preload();
    });
    assert.deepEqual(failures, []);
    const chunks = requests.filter((r) => r.startsWith('/cdn/chunks/'));
    assert.ok(chunks.length >= 1, `engine chunks loaded: ${chunks.join(', ')}`);
    assert.ok(!requests.some((r) => r.includes('node_modules')), 'nothing from node_modules');
    await p.context().close();
  });
});
