/**
 * Registers every matrix-call element. Import this module (or load the CDN
 * entry, which is built from it) once; it is the only module with side effects.
 */
import { defineElements } from './index.js';

defineElements();
