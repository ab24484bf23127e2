// Proves the CDN build works the way a plain page uses it: one <script type="module">,
// served by a static server, no import map, no node_modules, and the heavy parts
// (livekit-client, matrix-js-sdk, crypto wasm, E2EE worker) loaded only on demand.
// In every browser CI runs; what loaded is read off the server, so all three are asked alike.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  launchPlainBrowser,
  plainBrowserNames,
  type PlainBrowser,
  type PlainPage,
} from '../support/plain-pages.js';
import { serveStatic, type StaticServer } from '../support/static-server.js';
import { waitFor } from '../support/wait-for.js';

// The first script records what went wrong in the page (a module that fails to load fires
// `error` on its script element); the icon link keeps browsers from asking for /favicon.ico.
const page = `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8"><title>CDN load</title><link rel="icon" href="data:,">
    <script>
      window.pageErrors = [];
      addEventListener('error', (e) => pageErrors.push(e.message || 'failed: ' + e.target.src), true);
      addEventListener('unhandledrejection', (e) => pageErrors.push(String(e.reason)));
    </script>
  </head>
  <body>
    <script type="module" src="/cdn/matrix-call.js"></script>
    <matrix-call room="!nowhere:example.org"></matrix-call>
  </body>
</html>`;

declare global {
  interface Window {
    pageErrors: string[];
  }
}

let site: string;
let server: StaticServer;

before(async () => {
  assert.ok(existsSync('cdn/matrix-call.js'), 'run `npm run build` first');
  site = mkdtempSync(join(tmpdir(), 'matrix-call-cdn-'));
  cpSync('cdn', join(site, 'cdn'), { recursive: true });
  writeFileSync(join(site, 'index.html'), page);
  server = await serveStatic(site);
});

after(async () => {
  await server.close();
  rmSync(site, { recursive: true, force: true });
});

for (const name of plainBrowserNames) {
  void describe(`CDN build in ${name}`, () => {
    let browser: PlainBrowser;

    before(async () => {
      browser = await launchPlainBrowser(name);
    });

    after(async () => {
      await browser.close();
    });

    /** The page, once the element is defined; `paths` and `failures` come from the server. */
    async function openPage() {
      server.requests.length = 0;
      const p = await browser.open(`${server.url}/`);
      await waitFor(
        'matrix-call to be defined',
        () => p.evaluate(() => customElements.get('matrix-call') !== undefined),
        10_000,
      );
      return p;
    }

    async function loaded(p: PlainPage) {
      await server.idle();
      const errors = await p.evaluate(() => window.pageErrors);
      return {
        paths: server.requests.map((r) => r.path),
        failures: [
          ...server.requests.filter((r) => r.status >= 400).map((r) => `${r.path} ${r.status}`),
          ...errors.map((e) => `page error: ${e}`),
        ],
      };
    }

    void it('shows sign-in from one script tag and loads nothing heavy up front', async () => {
      const p = await openPage();
      try {
        // No session and no homeserver: the sign-in form, asking for the account too.
        await waitFor(
          'the sign-in form',
          () =>
            p.evaluate(() => {
              const el = document.querySelector<HTMLElement & { view?: string }>('matrix-call');
              const form = el?.shadowRoot
                ?.querySelector('call-sign-in')
                ?.shadowRoot?.querySelector('form');
              return (
                el?.view === 'sign-in' &&
                (form?.getBoundingClientRect().height ?? 0) > 0 &&
                form?.querySelector('input[name="homeserver"]') !== null
              );
            }),
          10_000,
        );
        const { paths, failures } = await loaded(p);
        assert.deepEqual(failures, []);
        // The entry, plus (this page has no session, so it shows sign-in) the small chunk of
        // the rarely shown views; nothing of the call engine.
        const scripts = paths.filter((r) => r.endsWith('.js'));
        assert.deepEqual(
          scripts.filter((r) => !/^\/cdn\/chunks\/rare-views-[\w-]+\.js$/.test(r)),
          ['/cdn/matrix-call.js'],
          'only the entry (and the rare views) load before a call',
        );
        assert.ok(scripts.length <= 2, scripts.join(', '));
        assert.ok(!paths.some((r) => r.endsWith('.wasm')), 'no wasm before a call');
      } finally {
        await p.close();
      }
    });

    void it('loads the call engine as chunks next to the entry, on demand', async () => {
      const p = await openPage();
      try {
        await p.evaluate(async () => {
          const ctor = customElements.get('matrix-call') as unknown as {
            preload(): Promise<void>;
          };
          await ctor.preload();
        });
        const { paths, failures } = await loaded(p);
        assert.deepEqual(failures, []);
        const chunks = paths.filter((r) => r.startsWith('/cdn/chunks/'));
        assert.ok(chunks.length >= 1, `engine chunks loaded: ${chunks.join(', ')}`);
        assert.ok(!paths.some((r) => r.includes('node_modules')), 'nothing from node_modules');
      } finally {
        await p.close();
      }
    });
  });
}
