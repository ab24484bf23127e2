import { enCommon } from './en.js';
import { enRare } from './en-rare.js';
import { enReactions } from './en-reactions.js';
import type { CallStrings } from './en.js';

/** Every English string, by key: the shape a translation or a `strings` override follows. */
export const en: CallStrings = { ...enCommon, ...enRare, ...enReactions };
