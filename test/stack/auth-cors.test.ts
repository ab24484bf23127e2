/**
 * Every answer of the auth service carries lk-jwt-service's CORS headers, so a page on
 * another origin sees the real status (404, 405, 400, …) instead of a CORS error. Checked
 * with plain requests and from a real Chromium page on another origin.
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import type { Browser } from 'playwright-core';
import type { StackInfo } from '../../stack/index.js';
import { createRoom, registerUser, requestOpenIdToken } from '../../stack/provision.js';
import { launchChromium } from '../support/browser.js';
import { acquireStack, request, type AcquiredStack, type JsonResponse } from './helpers.js';

let stack: AcquiredStack;
let info: StackInfo;

before(async () => {
  stack = await acquireStack();
  info = stack.info;
});

after(async () => {
  await stack.release();
});

function assertCors(res: JsonResponse, what: string) {
  assert.equal(res.headers.get('access-control-allow-origin'), '*', what);
  assert.equal(res.headers.get('access-control-allow-methods'), 'POST', what);
  assert.equal(
    res.headers.get('access-control-allow-headers'),
    'Accept, Content-Type, Content-Length, Accept-Encoding, X-CSRF-Token',
    what,
  );
}

void test('every status carries the CORS headers', { timeout: 30_000 }, async () => {
  const base = info.authServiceUrl;
  const user = await registerUser(info);
  const { roomId } = await createRoom(info, user, {});
  const openid = await requestOpenIdToken(info, user);
  const cases: [string, string, RequestInit & { json?: unknown }, number][] = [
    ['POST', '/sfu/get', { json: { room: roomId, openid_token: openid, device_id: 'D' } }, 200],
    ['POST', '/sfu/get', { json: { room: '!r:x', openid_token: openid, device_id: 'D' } }, 403],
    ['POST', '/get_token', { body: 'not json' }, 400],
    ['POST', '/get_token', { json: {} }, 400],
    [
      'POST',
      '/sfu/get',
      { json: { room: '!r:x', openid_token: { ...openid, access_token: 'forged' } } },
      401,
    ],
    ['POST', '/sfu/get', { body: 'x'.repeat(100_000) }, 413],
    ['GET', '/get_token', {}, 405],
    ['POST', '/healthz', {}, 405],
    ['GET', '/healthz', {}, 200],
    ['POST', '/nope', { json: {} }, 404],
    ['GET', '/', {}, 404],
    ['POST', '/sfu/get/extra', {}, 404],
  ];
  for (const [method, path, init, status] of cases) {
    const res = await request(`${base}${path}`, { method, ...init });
    assert.equal(res.status, status, `${method} ${path}: ${res.text}`);
    assertCors(res, `${method} ${path}`);
  }
});

void test('a preflight on any path answers 200 with CORS', { timeout: 30_000 }, async () => {
  for (const path of ['/get_token', '/sfu/get', '/healthz', '/delegate_delayed_leave', '/x/y']) {
    const res = await request(`${info.authServiceUrl}${path}`, {
      method: 'OPTIONS',
      headers: {
        origin: 'http://example.test',
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'content-type',
      },
    });
    assert.equal(res.status, 200, path);
    assert.equal(res.text, '', path);
    assertCors(res, `OPTIONS ${path}`);
  }
});

void test(
  'a page on another origin sees 404 and 405, not a CORS error',
  { timeout: 60_000 },
  async () => {
    const page: Server = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><title>x</title>');
    });
    await new Promise<void>((resolve) => page.listen(0, '127.0.0.1', resolve));
    const origin = `http://localhost:${(page.address() as AddressInfo).port}`;
    let browser: Browser | undefined;
    try {
      browser = await launchChromium();
      const tab = await browser.newPage();
      await tab.goto(origin);
      // A string, not a function: tsx would add helpers the page does not have.
      const statuses = await tab.evaluate(`(async () => {
        const status = (p) => p.then((r) => r.status, (e) => String(e));
        // A JSON content type makes these non-simple requests, so the browser preflights.
        const post = (path) => status(fetch(${JSON.stringify(info.authServiceUrl)} + path, {
          method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' }));
        return {
          unknown: await post('/some_future_endpoint'),
          wrongMethod: await status(fetch(${JSON.stringify(info.authServiceUrl)} + '/get_token')),
          badJson: await post('/get_token'),
        };
      })()`);
      assert.deepEqual(statuses, { unknown: 404, wrongMethod: 405, badJson: 400 });
    } finally {
      await browser?.close();
      page.closeAllConnections();
      await new Promise<void>((resolve) =>
        page.close(() => {
          resolve();
        }),
      );
    }
  },
);
