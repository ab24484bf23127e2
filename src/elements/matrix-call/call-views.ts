import type { MatrixCallError } from '../../core/errors.js';
import type { CallSnapshot } from '../../core/types.js';
import { inCallPhases } from './call-changes.js';

/** What `<matrix-call>` shows. */
export type MatrixCallView =
  'sign-in' | 'starting' | 'lobby' | 'connecting' | 'in-call' | 'failed' | 'ended';

export const matrixCallViews: readonly MatrixCallView[] = [
  'sign-in',
  'starting',
  'lobby',
  'connecting',
  'in-call',
  'failed',
  'ended',
];

/** Errors shown in the sign-in form rather than the error view. */
const signInErrors = new Set(['login-failed', 'homeserver-unreachable', 'unknown-token']);

export interface ViewInput {
  snapshot: CallSnapshot | undefined;
  /** A session is being created (the engine may still be downloading). */
  creating: boolean;
  /** The last command's error, else the snapshot's. */
  error: MatrixCallError | undefined;
  /** The user signed in with the form (so sign-in errors go back to it). */
  signedInWithForm: boolean;
  /** The user left and has not gone back to the lobby. */
  ended: boolean;
  returnToLobby: boolean;
  /** `skip-lobby` is set and this session has not joined yet. */
  joinsWithoutLobby: boolean;
}

/** Which screen the flow is on. */
export function viewOf(i: ViewInput): MatrixCallView {
  const s = i.snapshot;
  if (!s) return i.creating ? 'starting' : i.error ? 'failed' : 'sign-in';
  const error = s.error ?? i.error;
  if (s.status === 'failed')
    return i.signedInWithForm && error && signInErrors.has(error.reason) ? 'sign-in' : 'failed';
  if (s.status !== 'ready') return 'starting';
  if (s.phase === 'failed') return 'failed';
  if (inCallPhases.has(s.phase)) return 'in-call';
  if (s.phase === 'idle' || s.phase === 'ended') {
    if (i.ended && !i.returnToLobby) return 'ended';
    if (i.joinsWithoutLobby) return 'connecting';
    return 'lobby';
  }
  return 'connecting';
}
