import { MatrixCallError } from './errors.js';

/** The bits of a matrix-js-sdk `MatrixError` we read, by shape (the host's SDK copy may differ from ours). */
export function matrixErrorInfo(error: unknown): { status?: number; errcode?: string } {
  if (typeof error !== 'object' || error === null) return {};
  const e = error as { httpStatus?: unknown; errcode?: unknown; data?: { errcode?: unknown } };
  const errcode =
    typeof e.errcode === 'string'
      ? e.errcode
      : typeof e.data?.errcode === 'string'
        ? e.data.errcode
        : undefined;
  return { status: typeof e.httpStatus === 'number' ? e.httpStatus : undefined, errcode };
}

/**
 * Whether trying the same request again may work: no answer, a 5xx or a rate limit. Any
 * other 4xx refuses it again.
 */
export function isWorthRetrying(error: unknown): boolean {
  const { status, errcode } = matrixErrorInfo(error);
  if (errcode === 'M_LIMIT_EXCEEDED' || status === 429) return true;
  return status === undefined || status >= 500;
}

/** Network-level failure: the request never got an HTTP answer. */
export function isNetworkError(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  return (
    error.name === 'ConnectionError' || error.name === 'TypeError' || error.name === 'TimeoutError'
  );
}

/**
 * Maps what the homeserver or the network threw into a typed error: expired
 * tokens and unreachable servers are common to every request; the rest is
 * up to `fallback`.
 */
export function mapMatrixError(
  error: unknown,
  homeserver: string,
  fallback: (error: unknown) => MatrixCallError = (e) => MatrixCallError.unknown(e),
): MatrixCallError {
  if (error instanceof MatrixCallError) return error;
  if (error instanceof DOMException && error.name === 'AbortError')
    return MatrixCallError.aborted();
  const { status, errcode } = matrixErrorInfo(error);
  if (errcode === 'M_UNKNOWN_TOKEN' || status === 401) return MatrixCallError.unknownToken(error);
  if (isNetworkError(error)) return MatrixCallError.homeserverUnreachable(homeserver, error);
  // A gateway in front of the homeserver answering for it: the homeserver is not reached.
  if (status === 502 || status === 503 || status === 504)
    return MatrixCallError.homeserverUnreachable(homeserver, error);
  if (isNotMatrix(error, status, errcode)) return MatrixCallError.notAHomeserver(homeserver, error);
  return fallback(error);
}

/**
 * A homeserver answers every request with JSON, errors with an `errcode`
 * (`M_UNRECOGNIZED` for paths it doesn't know). A page of HTML, or a bare
 * 404 or 405, comes from something else: a website, or the wrong port.
 */
function isNotMatrix(error: unknown, status: number | undefined, errcode: string | undefined) {
  if (error instanceof SyntaxError) return true; // a 200 that is not JSON
  return errcode === undefined && (status === 404 || status === 405);
}
