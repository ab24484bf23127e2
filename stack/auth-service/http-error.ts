/** A Matrix-style error answer of the auth service: status, errcode and message. */
export class HttpError extends Error {
  override readonly name = 'HttpError';
  constructor(
    readonly status: number,
    readonly errcode: string,
    message: string,
    /** Extra detail for the log line only (never contains a token). */
    readonly reason?: string,
    /** Extra fields of the JSON body, e.g. `retry_after_ms`. */
    readonly extra: Readonly<Record<string, unknown>> = {},
  ) {
    super(message);
  }
}

export const unauthorised = (reason: string) =>
  new HttpError(401, 'M_UNAUTHORIZED', 'The request could not be authorised.', reason);
