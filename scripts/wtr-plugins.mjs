import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { dirname, join, relative } from 'node:path';
import { build } from 'esbuild';
import { defaultReporter, summaryReporter } from '@web/test-runner';

const root = fileURLToPath(new URL('..', import.meta.url));

/**
 * Rewrites `new URL('<package specifier>', import.meta.url)` (the LiveKit E2EE
 * worker) to the file's path under the dev server root, as bundlers do.
 */
export function e2eeWorkerUrl() {
  const pattern =
    /new\s+URL\(\s*(['"])((?:@[\w-][\w.-]*\/)?[\w-][\w.-]*\/[\w./-]+)\1\s*,\s*import\.meta\.url\s*\)/g;
  return {
    name: 'package-url',
    transform(context) {
      if (typeof context.body !== 'string' || !context.body.includes('import.meta.url')) return;
      const body = context.body.replace(pattern, (expression, _q, specifier) => {
        let file;
        try {
          file = fileURLToPath(import.meta.resolve(specifier));
        } catch {
          return expression;
        }
        return `new URL('/${relative(root, file)}', import.meta.url)`;
      });
      return body === context.body ? undefined : { body };
    },
  };
}

/**
 * Server-side commands for browser tests that need the local stack:
 * `executeServerCommand('stack', {op, ...})`. Provisioning runs in Node
 * because it uses the registration shared secret, which never goes to a page.
 */
export function stackCommands() {
  let stack;
  const extras = new Map(); // name -> { info, dataDir }
  const authServices = [];
  const proxies = new Map(); // url -> HomeserverProxy
  const load = async () => {
    stack ??= {
      index: await import('../stack/index.ts'),
      provision: await import('../stack/provision.ts'),
      auth: await import('../stack/auth-service/index.ts'),
    };
    return stack;
  };
  /** Listens on a free port until the test server stops; returns its URL. */
  const serveUntilStop = async (server) => {
    await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
    authServices.push({
      close: () =>
        new Promise((resolve) => {
          server.closeAllConnections();
          server.close(() => resolve());
        }),
    });
    return `http://127.0.0.1:${server.address().port}`;
  };
  const handedOut = new Set();
  const freePort = async () => {
    for (;;) {
      const port = await probePort();
      if (!handedOut.has(port)) {
        handedOut.add(port);
        return port;
      }
    }
  };
  const probePort = async () => {
    const net = await import('node:net');
    return new Promise((resolve, reject) => {
      const server = net.createServer();
      server.on('error', reject);
      server.listen(0, '127.0.0.1', () => {
        const { port } = server.address();
        server.close(() => resolve(port));
      });
    });
  };
  /** Extra instances for tests: a second SFU (LiveKit + auth) on the main homeserver, or a homeserver with no transport. */
  const startExtra = async (name, main) => {
    const { index } = await load();
    const { mkdtemp } = await import('node:fs/promises');
    const { tmpdir } = await import('node:os');
    const dataDir = await mkdtemp(join(tmpdir(), `mc-extra-${name}-`));
    const ports = {
      synapse: name === 'sfu2' ? main.ports.synapse : await freePort(),
      livekit: await freePort(),
      livekitTcp: await freePort(),
      livekitUdp: await freePort(),
      auth: await freePort(),
    };
    const info =
      name === 'sfu2'
        ? await index.startStack({
            dataDir,
            services: ['livekit', 'auth'],
            ports,
            healthTimeoutMs: 60_000,
          })
        : await index.startStack({
            dataDir,
            services: ['synapse'],
            noTransport: true,
            ports,
            healthTimeoutMs: 60_000,
          });
    extras.set(name, { info, dataDir });
    return info;
  };
  /** One more auth service on the main LiveKit, full access for all, stopped with the server. */
  const extraAuthService = async (main, config) => {
    const { auth } = await load();
    const service = await auth.createAuthService({
      livekitUrl: main.livekitUrl,
      livekitKey: main.livekitApiKey,
      livekitSecret: main.livekitApiSecret,
      fullAccessHomeservers: ['*'],
      log: () => undefined,
      ...config,
    });
    authServices.push(service);
    return service.url;
  };
  return {
    name: 'stack-commands',
    async serverStop() {
      for (const service of authServices.splice(0)) await service.close().catch(() => undefined);
      if (!stack) return;
      for (const { dataDir } of extras.values())
        await stack.index.stopStack({ dataDir }).catch(() => undefined);
      extras.clear();
    },
    async executeCommand({ command, payload }) {
      if (command !== 'stack') return undefined;
      const { index, provision } = await load();
      const main = await index.readStackInfo();
      if (!main) throw new Error('The local stack is not running: run `npm run stack:up`.');
      const p = payload ?? {};
      let info = main;
      if (p.stack && p.stack !== 'main') {
        info = extras.get(p.stack)?.info ?? (await startExtra(p.stack, main));
        // A second SFU shares the main homeserver.
        if (p.stack === 'sfu2' && p.op !== 'info') info = main;
      }
      switch (p.op) {
        case 'info':
          return publicInfo(info);
        case 'registerUser':
          return provision.registerUser(info, p.options ?? {});
        case 'createRoom':
          return provision.createRoom(info, p.creator, p.options ?? {});
        case 'joinRoom':
          return provision.joinRoom(info, p.user, p.room);
        case 'misconfiguredAuthService':
          // An lk-jwt-service that cannot check OpenID tokens: its homeserver mapping points nowhere.
          return extraAuthService(main, {
            homeserverUrlOverrides: { [main.serverName]: 'http://127.0.0.1:9' },
            openIdTimeoutMs: 2000,
          });
        case 'nonDelegatingAuthService':
          // An lk-jwt-service that cannot reach the homeserver's client API (no override, and
          // https .well-known discovery cannot work on loopback): it refuses delegation with
          // 400 M_BAD_JSON and grants as usual otherwise.
          return extraAuthService(main, {
            homeserverUrlOverrides: { [main.serverName]: main.synapseUrl ?? main.homeserverUrl },
            csApiTimeoutMs: 1000,
          });
        case 'noCorsService': {
          // Answers every request 404 without CORS headers, so a page sees a CORS failure.
          const http = await import('node:http');
          const server = http.createServer((_req, res) => res.writeHead(404).end('not found'));
          return serveUntilStop(server);
        }
        case 'homeserverProxy': {
          // A fault-injecting proxy in front of the main Synapse, for one session's outage.
          const { createHomeserverProxy } = await import('../stack/homeserver-proxy/proxy.ts');
          const proxy = await createHomeserverProxy({
            target: main.synapseUrl ?? main.homeserverUrl,
          });
          proxies.set(proxy.url, proxy);
          authServices.push({
            close: () => {
              proxies.delete(proxy.url);
              return proxy.close();
            },
          });
          return proxy.url;
        }
        case 'setHomeserverFaults': {
          const proxy = proxies.get(p.url);
          if (!proxy) throw new Error(`no homeserver proxy at ${p.url}`);
          return proxy.setFaults(p.faults ?? {});
        }
        case 'websiteServer':
        case 'stallingService': {
          // websiteServer: a web site, HTML for every path. stallingService: an auth service
          // that sends 200 and its headers, then never finishes the body. Both send CORS.
          const http = await import('node:http');
          const cors = {
            'access-control-allow-origin': '*',
            'access-control-allow-headers': '*',
            'access-control-allow-methods': '*',
          };
          const server = http.createServer((req, res) => {
            if (req.method === 'OPTIONS') return res.writeHead(204, cors).end();
            if (p.op === 'websiteServer')
              return res
                .writeHead(200, { ...cors, 'content-type': 'text/html' })
                .end('<!doctype html><title>Welcome</title><h1>Our website</h1>');
            res.writeHead(200, { ...cors, 'content-type': 'application/json' });
            res.write('{"url": "ws://127.0.0.1:9", ');
          });
          return serveUntilStop(server);
        }
        default:
          throw new Error(`Unknown stack op ${p.op}`);
      }
    },
  };
}

/** What a page may know about the stack: URLs only, no shared secrets. */
function publicInfo(info) {
  return {
    homeserverUrl: info.homeserverUrl,
    serverName: info.serverName,
    authServiceUrl: info.authServiceUrl,
    livekitUrl: info.livekitUrl,
    noTransport: info.noTransport,
  };
}

/** Default output, plus a JSON file of pass/fail counts (`.test-results/<name>.json`) for `npm test`'s closing line. */
export function resultsReporter(name = 'browser') {
  const counts = { passed: 0, failed: 0, skipped: 0 };
  const walk = (suite) => {
    for (const test of suite.tests ?? []) {
      if (test.skipped) counts.skipped++;
      else if (test.passed) counts.passed++;
      else counts.failed++;
    }
    for (const child of suite.suites ?? []) walk(child);
  };
  const countingReporter = {
    onTestRunFinished({ sessions }) {
      for (const session of sessions) {
        if (session.testResults) walk(session.testResults);
        // A file that failed to load has no test results but must still count as a failure.
        if (!session.passed && (!session.testResults || session.errors?.length)) counts.failed++;
      }
      mkdirSync(new URL('../.test-results/', import.meta.url), { recursive: true });
      writeFileSync(
        new URL(`../.test-results/${name}.json`, import.meta.url),
        JSON.stringify(counts),
      );
    },
  };
  return { reporters: [defaultReporter(), summaryReporter({ flatten: false }), countingReporter] };
}

/**
 * Serves CommonJS-only packages (matrix-js-sdk's `events`, `loglevel`,
 * `matrix-widget-api`…) as ESM, the way Vite's dependency optimiser does:
 * esbuild bundles the package, and the names Node's `require()` reports become
 * named exports. Rollup's commonjs plugin cannot see names like
 * `module.exports.EventEmitter` statically.
 */
export function cjsAsEsm() {
  const prefix = '/__cjs__/';
  const cache = new Map();
  const packageJsonOf = (file) => {
    for (let dir = dirname(file); dir !== dirname(dir); dir = dirname(dir)) {
      try {
        return JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
      } catch {
        // keep walking up
      }
    }
    return {};
  };
  // Only packages with no ESM entry at all; dual packages are served as ESM.
  const isCommonJs = (file) => {
    if (file.endsWith('.mjs')) return false;
    const pkg = packageJsonOf(file);
    const exportsImport = JSON.stringify(pkg.exports ?? '').includes('"import"');
    return pkg.type !== 'module' && !pkg.module && !exportsImport;
  };
  async function esm(file) {
    const require = createRequire(file);
    let names = [];
    try {
      names = Object.keys(require(file)).filter(
        (k) => /^[A-Za-z_$][\w$]*$/.test(k) && k !== 'default',
      );
    } catch {
      // browser-only package: default export only
    }
    // require(), not import: TypeScript-compiled packages set __esModule, and an
    // ESM default import of those would yield `exports.default` (undefined).
    const entry = `const m = require(${JSON.stringify(file)});\nexport default m;\n${
      names.length ? `export const { ${names.join(', ')} } = m;\n` : ''
    }`;
    const out = await build({
      stdin: { contents: entry, resolveDir: dirname(file), loader: 'js' },
      bundle: true,
      format: 'esm',
      platform: 'browser',
      write: false,
      logLevel: 'silent',
      define: { 'process.env.NODE_ENV': '"development"', global: 'globalThis' },
    });
    return out.outputFiles[0].text;
  }
  return {
    name: 'cjs-as-esm',
    resolveImport({ source, context }) {
      if (source.startsWith('.') || source.startsWith('/') || source.includes(':'))
        return undefined;
      const importer = context.request.url.startsWith(prefix)
        ? undefined
        : join(root, decodeURIComponent(context.path));
      // Find the package folder ourselves: require.resolve('events') would
      // answer with Node's builtin, not the npm package the browser needs.
      const parts = source.split('/');
      const name = source.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
      const subpath = parts.slice(source.startsWith('@') ? 2 : 1).join('/');
      let file;
      for (let dir = dirname(importer ?? join(root, 'x')); ; dir = dirname(dir)) {
        const pkgDir = join(dir, 'node_modules', name);
        try {
          readFileSync(join(pkgDir, 'package.json'));
          file = createRequire(join(pkgDir, 'package.json')).resolve(
            subpath ? join(pkgDir, subpath) : pkgDir,
          );
          break;
        } catch {
          if (dir === dirname(dir)) return undefined;
        }
      }
      if (!file.includes('node_modules') || !isCommonJs(file)) return undefined;
      return `${prefix}${encodeURIComponent(file)}.js`;
    },
    async serve(context) {
      if (!context.path.startsWith(prefix)) return undefined;
      const file = decodeURIComponent(context.path.slice(prefix.length, -'.js'.length));
      if (!cache.has(file)) cache.set(file, esm(file));
      return { body: await cache.get(file), type: 'js' };
    },
  };
}
