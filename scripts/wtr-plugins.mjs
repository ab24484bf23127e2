import { mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { relative } from 'node:path';
import { defaultReporter, summaryReporter } from '@web/test-runner';

const root = fileURLToPath(new URL('..', import.meta.url));

/**
 * Rewrites `new URL('<package specifier>', import.meta.url)` (the LiveKit E2EE
 * worker) to the file's path under the dev server root, as bundlers do.
 */
export function e2eeWorkerUrl() {
  const pattern =
    /new\s+URL\(\s*(['"])((?:@[\w.-]+\/)?[\w.-]+\/[\w./-]+)\1\s*,\s*import\.meta\.url\s*\)/g;
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
  const load = async () => {
    stack ??= {
      index: await import('../stack/index.ts'),
      provision: await import('../stack/provision.ts'),
    };
    return stack;
  };
  return {
    name: 'stack-commands',
    async executeCommand({ command, payload }) {
      if (command !== 'stack') return undefined;
      const { index, provision } = await load();
      const info = await index.readStackInfo();
      if (!info) throw new Error('The local stack is not running: run `npm run stack:up`.');
      const p = payload ?? {};
      switch (p.op) {
        case 'info':
          return publicInfo(info);
        case 'registerUser':
          return provision.registerUser(info, p.options ?? {});
        case 'createRoom':
          return provision.createRoom(info, p.creator, p.options ?? {});
        case 'joinRoom':
          return provision.joinRoom(info, p.user, p.room);
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

/** Default output, plus a JSON file of pass/fail counts for `npm test`'s closing line. */
export function resultsReporter() {
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
        new URL('../.test-results/browser.json', import.meta.url),
        JSON.stringify(counts),
      );
    },
  };
  return { reporters: [defaultReporter(), summaryReporter({ flatten: false }), countingReporter] };
}
