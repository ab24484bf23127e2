import { nodeResolve } from '@rollup/plugin-node-resolve';
import commonjs from '@rollup/plugin-commonjs';
import json from '@rollup/plugin-json';
import typescript from '@rollup/plugin-typescript';
import esbuild from 'rollup-plugin-esbuild';
import { importMetaAssets } from '@web/rollup-plugin-import-meta-assets';
import { packageUrl } from './scripts/rollup-plugin-package-url.mjs';
import { minifyTemplates } from './scripts/rollup-plugin-minify-templates.mjs';
import { terseEntry } from './scripts/rollup-plugin-terse-entry.mjs';
import { readFileSync, rmSync } from 'node:fs';
import pkg from './package.json' with { type: 'json' };

// `MC_BUILD=cdn` builds only the CDN bundle (what `npm start` and the e2e suite serve).
const only = process.env.MC_BUILD;
const targets = only ? only.split(',') : ['dist', 'cdn'];

// Stale chunks and assets from earlier builds would ship and skew the size report.
for (const dir of targets) rmSync(dir, { recursive: true, force: true });

const peers = [...Object.keys(pkg.dependencies ?? {}), ...Object.keys(pkg.peerDependencies ?? {})];
const isPeer = (id) => peers.some((p) => id === p || id.startsWith(`${p}/`));

/** `cdn/widget.html`, the page a widget host loads (`widget.js` beside it). */
function widgetPage() {
  return {
    name: 'widget-page',
    generateBundle() {
      this.emitFile({
        type: 'asset',
        fileName: 'widget.html',
        source: readFileSync('src/widget/widget.html', 'utf8'),
      });
    },
  };
}

/** `dist/`: unbundled ESM plus declarations, for bundler users. */
const dist = {
  input: ['src/index.ts', 'src/define.ts', 'src/core/index.ts'],
  external: isPeer,
  output: {
    dir: 'dist',
    format: 'es',
    preserveModules: true,
    preserveModulesRoot: 'src',
    sourcemap: true,
  },
  plugins: [
    typescript({
      tsconfig: './tsconfig.build.json',
      noEmitOnError: true,
    }),
  ],
};

/**
 * `cdn/`: one small self-registering entry. livekit-client, matrix-js-sdk, the
 * crypto wasm and the E2EE worker are split out and load only when a call needs them.
 */
const cdn = {
  // The widget page shares the elements and the engine's chunks with the entry.
  input: { 'matrix-call': 'src/define.ts', widget: 'src/widget/widget.ts' },
  // matrix-js-sdk's index imports the widget client, which calls through matrix-widget-api never
  // make; nothing there runs on import, so unused, it is left out.
  treeshake: {
    moduleSideEffects: (id) =>
      !/node_modules\/(matrix-widget-api|matrix-js-sdk\/lib\/embedded\.js)/.test(id),
  },
  output: {
    dir: 'cdn',
    format: 'es',
    entryFileNames: '[name].js',
    chunkFileNames: 'chunks/[name]-[hash].js',
    assetFileNames: 'assets/[name]-[hash][extname]',
    sourcemap: true,
    plugins: [terseEntry('matrix-call.js')],
  },
  plugins: [
    nodeResolve({ browser: true, preferBuiltins: false, exportConditions: ['production'] }),
    commonjs(),
    json(),
    minifyTemplates(),
    esbuild({ target: 'es2022', minify: true, tsconfig: './tsconfig.json' }),
    packageUrl(),
    importMetaAssets({ include: ['**/*.mjs', 'src/**/*.ts'] }),
    widgetPage(),
  ],
  onwarn(warning, warn) {
    // matrix-js-sdk and its dependencies use `this` at module level and circular imports; both are harmless.
    if (warning.code === 'THIS_IS_UNDEFINED' || warning.code === 'CIRCULAR_DEPENDENCY') return;
    warn(warning);
  },
};

export default [dist, cdn].filter((config) => targets.includes(config.output.dir));
