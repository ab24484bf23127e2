import { LitElement } from 'lit';
import { property, state } from 'lit/decorators.js';
import { consume } from '@lit/context';
import type { MatrixCallError } from '../../core/errors.js';
import type { CallSessionApi } from '../../core/types.js';
import { CallController } from '../../controller/call-controller.js';
import { callSessionContext, translatorContext } from '../../controller/call-context.js';
import { english, type Translator } from '../../i18n/index.js';

/**
 * What every part of a call UI shares: the session it works over (its own
 * `session`, else the enclosing `<matrix-call>`'s) and the strings of the
 * page's language.
 */
export class CallPartElement extends LitElement {
  /** The call this part works over; defaults to the one of the enclosing `<matrix-call>`. */
  @property({ attribute: false }) session?: CallSessionApi;

  @consume({ context: callSessionContext, subscribe: true })
  @state()
  protected contextSession?: CallSessionApi;

  @consume({ context: translatorContext, subscribe: true })
  @state()
  protected i18n: Translator = english;

  /** A controller over the session in use; `onError` hears failed commands. */
  protected followCall(onError?: (error: MatrixCallError) => void): CallController {
    return new CallController(this, {
      session: () => this.session ?? this.contextSession,
      ...(onError ? { onError } : {}),
    });
  }
}
