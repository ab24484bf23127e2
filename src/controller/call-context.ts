import { createContext } from '@lit/context';
import type { CallSessionApi } from '../core/types.js';
import type { Translator } from '../i18n/index.js';

/**
 * The call session that `<matrix-call>` provides to the elements inside it.
 * A child's own `session` property wins over this.
 */
export const callSessionContext = createContext<CallSessionApi | undefined>(
  Symbol('matrix-call-session'),
);

/** The strings (language plus the page's overrides) that `<matrix-call>` provides. */
export const translatorContext = createContext<Translator>(Symbol('matrix-call-translator'));
