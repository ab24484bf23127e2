import type { Plugin } from '@web/dev-server-core';

/** Serves CommonJS-only packages as ESM (see wtr-plugins.mjs). */
export declare function cjsAsEsm(): Plugin;
/** Rewrites `new URL('<package specifier>', import.meta.url)` to served paths. */
export declare function e2eeWorkerUrl(): Plugin;
export declare function stackCommands(): Plugin;
export declare function resultsReporter(): { reporters: unknown[] };
