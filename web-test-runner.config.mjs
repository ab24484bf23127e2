import { chromeLauncher } from '@web/test-runner-chrome';
import { esbuildPlugin } from '@web/dev-server-esbuild';
import { chromePath, chromiumFlags } from './scripts/chromium.mjs';
import { cjsAsEsm, e2eeWorkerUrl, stackCommands, resultsReporter } from './scripts/wtr-plugins.mjs';

export default {
  files: ['src/**/*.test.ts', 'test/browser/**/*.test.ts'],
  nodeResolve: { browser: true, exportConditions: ['development'] },
  concurrency: 1,
  concurrentBrowsers: 1,
  browserStartTimeout: 60_000,
  testsFinishTimeout: 600_000,
  testFramework: { config: { timeout: 60_000 } },
  coverage: true,
  filterBrowserLogs: ({ args }) => !String(args[0]).includes('Lit is in dev mode'),
  coverageConfig: {
    include: ['src/**/*.ts'],
    exclude: ['src/**/*.test.ts', 'test/**'],
    report: true,
    reportDir: 'coverage',
  },
  mimeTypes: { '**/*.ts': 'js' },
  plugins: [
    e2eeWorkerUrl(),
    stackCommands(),
    cjsAsEsm(),
    esbuildPlugin({ ts: true, target: 'es2022', tsconfig: './tsconfig.json' }),
  ],
  browsers: [
    chromeLauncher({
      launchOptions: { executablePath: chromePath, headless: true, args: chromiumFlags },
    }),
  ],
  ...resultsReporter(),
};
