/**
 * Why a call (or the session behind it) failed. Each reason maps to one
 * actionable message; `hint` says what a user or an admin can do about it.
 */
export type CallErrorReason =
  | 'invalid-config'
  | 'homeserver-unreachable'
  | 'not-a-homeserver'
  | 'unknown-token'
  | 'login-failed'
  | 'room-not-found'
  | 'not-in-room'
  | 'crypto-init-failed'
  | 'no-rtc-transport'
  | 'jwt-fetch-failed'
  | 'sfu-room-creation-restricted'
  | 'livekit-connect-failed'
  | 'connection-lost'
  | 'membership-forbidden'
  | 'membership-failed'
  | 'media-permission-denied'
  | 'media-device-not-found'
  | 'media-device-failed'
  | 'e2ee-unsupported'
  | 'widget-capability-denied'
  | 'aborted'
  | 'unknown';

/** `HttpErrorDetails.error` of an answer whose body never finished. */
export const STALLED_ANSWER = 'the answer stalled';

/** Who can fix an error: the person using the page, or the server admin. */
export type CallErrorAudience = 'user' | 'admin';

/** Details of a failed HTTP exchange, without any secret. */
export interface HttpErrorDetails {
  /** HTTP status, or 0 when the request never got an answer. */
  status: number;
  /** Matrix `errcode` from the error envelope, if there was one. */
  errcode?: string;
  /** Matrix `error` text from the error envelope, if there was one. */
  error?: string;
  /** The endpoint that failed, without query string (tokens live there). */
  endpoint: string;
}

export interface MatrixCallErrorOptions {
  cause?: unknown;
  hint?: string;
  audience?: CallErrorAudience;
  http?: HttpErrorDetails;
}

const defaultAudience: Partial<Record<CallErrorReason, CallErrorAudience>> = {
  'no-rtc-transport': 'admin',
  'jwt-fetch-failed': 'admin',
  'sfu-room-creation-restricted': 'admin',
  'membership-forbidden': 'admin',
  'crypto-init-failed': 'admin',
  'widget-capability-denied': 'admin',
};

/** Reasons worth offering a retry for: the same action may work a moment later. */
const retryable: ReadonlySet<CallErrorReason> = new Set<CallErrorReason>([
  'homeserver-unreachable',
  'jwt-fetch-failed',
  'livekit-connect-failed',
  'connection-lost',
  'membership-failed',
  'media-device-failed',
  'media-permission-denied',
  'media-device-not-found',
  'aborted',
  'unknown',
]);

/**
 * The one error type the core raises. Messages never contain tokens, JWTs or
 * key material: build them only from the factories below.
 */
export class MatrixCallError extends Error {
  override readonly name = 'MatrixCallError';
  readonly reason: CallErrorReason;
  readonly hint: string | undefined;
  readonly audience: CallErrorAudience;
  readonly http: HttpErrorDetails | undefined;

  constructor(reason: CallErrorReason, message: string, options: MatrixCallErrorOptions = {}) {
    super(message, { cause: options.cause });
    this.reason = reason;
    this.hint = options.hint;
    this.audience = options.audience ?? defaultAudience[reason] ?? 'user';
    this.http = options.http;
  }

  /** Whether trying the same action again could succeed. */
  get retryable(): boolean {
    return retryable.has(this.reason);
  }

  /** A JSON-safe view for diagnostics: no cause objects, no secrets. */
  toJSON(): Record<string, unknown> {
    return {
      name: this.name,
      reason: this.reason,
      message: this.message,
      hint: this.hint,
      audience: this.audience,
      http: this.http,
    };
  }

  static is(value: unknown, reason?: CallErrorReason): value is MatrixCallError {
    return value instanceof MatrixCallError && (reason === undefined || value.reason === reason);
  }

  static invalidConfig(what: string): MatrixCallError {
    return new MatrixCallError('invalid-config', `Missing or invalid setting: ${what}.`, {
      hint: 'Check the attributes and properties given to <matrix-call>.',
    });
  }

  static homeserverUnreachable(url: string, cause?: unknown): MatrixCallError {
    return new MatrixCallError('homeserver-unreachable', `Cannot reach the homeserver at ${url}.`, {
      cause,
      hint: 'Check the homeserver address and your network connection, then try again.',
    });
  }

  static notAHomeserver(url: string, cause?: unknown): MatrixCallError {
    return new MatrixCallError(
      'not-a-homeserver',
      `The server at ${url} answers, but not as a Matrix homeserver.`,
      {
        cause,
        hint: "Check the homeserver address: it is the one your Matrix app signs in to (for example https://matrix.example.org), not a website's.",
      },
    );
  }

  static unknownToken(cause?: unknown): MatrixCallError {
    return new MatrixCallError('unknown-token', 'Your session has expired or was signed out.', {
      cause,
      hint: 'Sign in again to get a new session.',
    });
  }

  static loginFailed(http?: HttpErrorDetails, cause?: unknown): MatrixCallError {
    return new MatrixCallError('login-failed', 'Sign-in failed: wrong username or password.', {
      cause,
      http,
      hint: 'Check your username and password and try again.',
    });
  }

  static roomNotFound(room: string, cause?: unknown): MatrixCallError {
    return new MatrixCallError('room-not-found', `The room ${room} does not exist.`, {
      cause,
      hint: 'Check the room address or ID.',
    });
  }

  static notInRoom(room: string, cause?: unknown): MatrixCallError {
    return new MatrixCallError(
      'not-in-room',
      `You are not a member of ${room} and cannot join it.`,
      {
        cause,
        hint: 'Ask a member of the room to invite you, then try again.',
      },
    );
  }

  static cryptoInitFailed(cause?: unknown): MatrixCallError {
    return new MatrixCallError('crypto-init-failed', 'End-to-end encryption could not start.', {
      cause,
      hint: "The page must allow WebAssembly ('wasm-unsafe-eval' in its Content-Security-Policy) and IndexedDB.",
    });
  }

  static noRtcTransport(serverName: string): MatrixCallError {
    return new MatrixCallError(
      'no-rtc-transport',
      `No call server (SFU) is configured for ${serverName}.`,
      {
        hint:
          'Admin: advertise a LiveKit transport, either with Synapse `matrix_rtc.transports` ' +
          '(MSC4143, `experimental_features.msc4143_enabled`) or `org.matrix.msc4143.rtc_foci` in ' +
          `https://${serverName}/.well-known/matrix/client, pointing at an lk-jwt-service.`,
      },
    );
  }

  static jwtFetchFailed(http: HttpErrorDetails, cause?: unknown): MatrixCallError {
    const code = http.errcode ? ` (${http.errcode})` : '';
    const status = http.status ? `HTTP ${http.status}` : 'no answer';
    return new MatrixCallError(
      'jwt-fetch-failed',
      http.error === STALLED_ANSWER
        ? `The call authorization service began to answer, then stopped (${status}).`
        : `The call authorization service refused or failed: ${status}${code}.`,
      {
        cause,
        http,
        hint: `Admin: check the lk-jwt-service at ${http.endpoint} and its LiveKit and homeserver settings.`,
      },
    );
  }

  static sfuRoomCreationRestricted(http?: HttpErrorDetails): MatrixCallError {
    return new MatrixCallError(
      'sfu-room-creation-restricted',
      'This call server only lets users of its own homeserver start calls.',
      {
        http,
        hint: "Ask someone from the call server's homeserver to start the call first, or ask the admin to add your homeserver to LIVEKIT_FULL_ACCESS_HOMESERVERS.",
      },
    );
  }

  static livekitConnectFailed(cause?: unknown): MatrixCallError {
    return new MatrixCallError('livekit-connect-failed', 'Could not connect to the call server.', {
      cause,
      hint: 'Check your network; if it keeps failing, the admin should check the LiveKit server and its ports.',
    });
  }

  static connectionLost(cause?: unknown): MatrixCallError {
    return new MatrixCallError('connection-lost', 'The connection to the call was lost.', {
      cause,
      hint: 'Check your network connection and rejoin.',
    });
  }

  static membershipForbidden(eventType: string, cause?: unknown): MatrixCallError {
    return new MatrixCallError(
      'membership-forbidden',
      'You are not allowed to join calls in this room.',
      {
        cause,
        hint: `Room admin: the power level required for "${eventType}" in the room's power_levels.events is higher than this user's. Lower it (Element Call rooms use 0) or raise the user's level.`,
      },
    );
  }

  static membershipFailed(cause?: unknown): MatrixCallError {
    return new MatrixCallError('membership-failed', 'Could not announce you in the call.', {
      cause,
      hint: 'Check your network connection and try again.',
    });
  }

  static mediaPermissionDenied(kind: 'camera' | 'microphone' | 'screen', cause?: unknown) {
    return new MatrixCallError(
      'media-permission-denied',
      `Permission to use the ${kind} was denied.`,
      {
        cause,
        hint: permissionHint(kind),
      },
    );
  }

  static mediaDeviceNotFound(kind: 'camera' | 'microphone', cause?: unknown) {
    return new MatrixCallError('media-device-not-found', `No ${kind} was found.`, {
      cause,
      hint: `Connect a ${kind} or pick another one.`,
    });
  }

  static mediaDeviceFailed(kind: 'camera' | 'microphone' | 'screen', cause?: unknown) {
    return new MatrixCallError('media-device-failed', `The ${kind} could not be started.`, {
      cause,
      hint: 'Another application may be using it. Close it or pick another device.',
    });
  }

  static widgetCapabilityDenied(refused: readonly string[]): MatrixCallError {
    return new MatrixCallError(
      'widget-capability-denied',
      `The app hosting this call did not allow ${refused.join(', ')}.`,
      {
        hint: 'The widget host (for example Element Web) must grant the call widget delayed events (MSC4157) and to-device messages (MSC3819); allow them for this widget, or update the host.',
      },
    );
  }

  static e2eeUnsupported(): MatrixCallError {
    return new MatrixCallError(
      'e2ee-unsupported',
      'This browser cannot take part in end-to-end-encrypted calls.',
      { hint: 'Use a current version of Chrome, Edge, Firefox or Safari.' },
    );
  }

  static aborted(): MatrixCallError {
    return new MatrixCallError('aborted', 'The operation was cancelled.', {
      hint: 'Try again when you are ready.',
    });
  }

  static unknown(cause?: unknown): MatrixCallError {
    return new MatrixCallError('unknown', 'Something went wrong with the call.', {
      cause,
      hint: 'Try again. If it keeps happening, copy the diagnostics and report them.',
    });
  }

  /** Wraps anything thrown into a MatrixCallError, keeping typed ones as they are. */
  static from(error: unknown): MatrixCallError {
    if (error instanceof MatrixCallError) return error;
    if (error instanceof DOMException && error.name === 'AbortError')
      return MatrixCallError.aborted();
    return MatrixCallError.unknown(error);
  }
}

/** Where this browser keeps the site's camera and microphone permission. */
function permissionHint(kind: 'camera' | 'microphone' | 'screen'): string {
  if (kind === 'screen') return 'Choose a screen, window or tab to share, then try again.';
  const ua = (globalThis.navigator as Navigator | undefined)?.userAgent ?? '';
  const where = /Firefox\//.test(ua)
    ? 'click the permissions icon left of the address bar, remove the block on the ' + kind
    : // Safari on Apple systems; WebKitGTK (GNOME Web) sends the same Safari token.
      /Version\/[\d.]+ .*Safari\//.test(ua) && /Macintosh|iPhone|iPad/.test(ua)
      ? `open Safari › Settings for this website and set ${kind === 'camera' ? 'Camera' : 'Microphone'} to Allow`
      : `open the site settings (the icon left of the address bar) and allow the ${kind}`;
  return `To allow it, ${where}, then reload the page. Until then you can still join to watch and listen.`;
}
