import { esbuildPlugin } from '@web/dev-server-esbuild';
import { cjsAsEsm, e2eeWorkerUrl, stackCommands, resultsReporter } from './scripts/wtr-plugins.mjs';
import {
  chromiumLauncher,
  firefoxLauncher,
  viewportCommand,
  webdriverKeyHold,
  webkitLauncher,
} from './scripts/wtr-browsers.mjs';

// `MC_TEST_BROWSER=firefox` (or `webkit`) runs the component tests (src/) in Firefox ESR (or
// WebKitGTK) instead; the
// stack tests (test/browser/) run in Chromium only, where coverage is measured too.
const browser = process.env.MC_TEST_BROWSER || 'chromium';
const launchers = { chromium: chromiumLauncher, firefox: firefoxLauncher, webkit: webkitLauncher };
if (!launchers[browser]) throw new Error(`MC_TEST_BROWSER: no launcher for ${browser}`);
const chromium = browser === 'chromium';

export default {
  files: chromium ? ['src/**/*.test.ts', 'test/browser/**/*.test.ts'] : ['src/**/*.test.ts'],
  nodeResolve: { browser: true, exportConditions: ['development'] },
  concurrency: 1,
  concurrentBrowsers: 1,
  browserStartTimeout: 60_000,
  testsFinishTimeout: 600_000,
  testFramework: { config: { timeout: 60_000 } },
  // V8 coverage is Chromium's alone.
  coverage: chromium,
  filterBrowserLogs: ({ args }) => !String(args[0]).includes('Lit is in dev mode'),
  coverageConfig: {
    include: ['src/**/*.ts'],
    exclude: ['src/**/*.test.ts', 'test/**'],
    report: true,
    reportDir: 'coverage',
  },
  mimeTypes: { '**/*.ts': 'js' },
  plugins: [
    viewportCommand(),
    webdriverKeyHold(),
    e2eeWorkerUrl(),
    stackCommands(),
    cjsAsEsm(),
    esbuildPlugin({ ts: true, target: 'es2022', tsconfig: './tsconfig.json' }),
  ],
  browsers: [launchers[browser]()],
  ...resultsReporter(chromium ? 'browser' : browser),
};
