/** What the sign-in form asks for; `room` is empty when the room is known already. */
export interface SignInFields {
  homeserver: string;
  username: string;
  password: string;
  room: string;
}

/** The sign-in form was submitted (cancelable); `<matrix-call>` signs in with the fields. */
export class CallRequestSignInEvent extends Event {
  readonly fields: SignInFields;
  constructor(fields: SignInFields) {
    super('call-request-sign-in', { bubbles: true, composed: true, cancelable: true });
    this.fields = fields;
  }
}

declare global {
  interface HTMLElementEventMap {
    'call-request-sign-in': CallRequestSignInEvent;
  }
}
