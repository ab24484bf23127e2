/**
 * Registers every matrix-call element. Import this module (or load the CDN
 * entry, which is built from it) once; it is the only module with side effects.
 */
// Not through index.js: the entry must not pull in the core's modules it re-exports.
import { defineElements } from './elements/define-elements.js';

defineElements();
