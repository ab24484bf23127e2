/**
 * The framework-free RTC core: MatrixRTC signalling through matrix-js-sdk,
 * media through LiveKit, with per-participant E2EE. No Lit, no DOM.
 */
export * from './types.js';
export * from './errors.js';
export * from './diagnostics.js';
export { loadCallEngine, createCallSession } from './load.js';
export { CallSession } from './call-session.js';
export { CALL_REACTIONS, REACTION_SHOW_MS, type CallReactionName } from './reaction-set.js';
