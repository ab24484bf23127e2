import { chromeLauncher } from '@web/test-runner-chrome';
import { esbuildPlugin } from '@web/dev-server-esbuild';
import { fromRollup } from '@web/dev-server-rollup';
import rollupCommonjs from '@rollup/plugin-commonjs';
import rollupJson from '@rollup/plugin-json';
import { chromePath, chromiumFlags } from './scripts/chromium.mjs';
import { e2eeWorkerUrl, stackCommands, resultsReporter } from './scripts/wtr-plugins.mjs';

const commonjs = fromRollup(rollupCommonjs);
const json = fromRollup(rollupJson);

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
  mimeTypes: { '**/*.ts': 'js', '**/*.json': 'js' },
  plugins: [
    e2eeWorkerUrl(),
    stackCommands(),
    json({ include: ['**/node_modules/**/*.json'] }),
    commonjs({
      include: ['**/node_modules/**/*'],
      exclude: [
        '**/node_modules/@open-wc/**',
        '**/node_modules/lit*/**',
        '**/node_modules/@lit/**',
      ],
    }),
    esbuildPlugin({ ts: true, target: 'es2022', tsconfig: './tsconfig.json' }),
  ],
  browsers: [
    chromeLauncher({
      launchOptions: { executablePath: chromePath, headless: true, args: chromiumFlags },
    }),
  ],
  ...resultsReporter(),
};
