import { assert, fixture, html } from '@open-wc/testing';
import { ReactiveElement } from 'lit';
import { CallController } from './call-controller.js';
import { MatrixCallError } from '../core/errors.js';
import type { CallSessionApi, CallSessionOptions, CallSnapshot } from '../core/types.js';
import { FakeCallSession, stopFakeMedia } from '../../test/browser/fake-call-session.js';

/** A throwaway host: counts its updates and exposes its controller. */
class ControllerHost extends ReactiveElement {
  session?: CallSessionApi;
  updates = 0;
  seen: [CallSnapshot, CallSnapshot | undefined][] = [];
  errors: MatrixCallError[] = [];
  created: FakeCallSession[] = [];
  createGate: Promise<void> | undefined;
  failCreate: Error | undefined;
  readonly call = new CallController(this, {
    session: () => this.session,
    onSnapshot: (snapshot, previous) => this.seen.push([snapshot, previous]),
    onError: (error) => this.errors.push(error),
    create: async (_options: CallSessionOptions) => {
      await this.createGate;
      if (this.failCreate) throw this.failCreate;
      const session = FakeCallSession.ready();
      this.created.push(session);
      return session;
    },
  });
  protected override update(changed: Map<PropertyKey, unknown>): void {
    super.update(changed);
    this.updates++;
  }
}
customElements.define('controller-host', ControllerHost);

const options = (room = '!a:example.org'): CallSessionOptions => ({
  source: {
    kind: 'credentials',
    credentials: { homeserver: 'https://hs', userId: '@u:hs', deviceId: 'D', accessToken: 'x' },
  },
  room,
});

async function host(session?: CallSessionApi): Promise<ControllerHost> {
  const el = await fixture<ControllerHost>(
    html`<controller-host .session=${session}></controller-host>`,
  );
  el.requestUpdate();
  await el.updateComplete;
  return el;
}

describe('CallController', () => {
  afterEach(stopFakeMedia);

  it('subscribes while connected and unsubscribes when disconnected', async () => {
    const session = FakeCallSession.ready();
    const el = await host(session);
    assert.equal(session.subscriberCount, 1);
    assert.equal(el.call.snapshot, session.snapshot);
    el.remove();
    assert.equal(session.subscriberCount, 0);
    assert.isUndefined(el.call.snapshot);
  });

  it('re-renders the host on every snapshot and hands over the previous one', async () => {
    const session = FakeCallSession.ready();
    const el = await host(session);
    const before = el.updates;
    const previous = session.snapshot;
    session.set({ phase: 'connecting' });
    await el.updateComplete;
    assert.isAbove(el.updates, before);
    assert.equal(el.call.snapshot?.phase, 'connecting');
    const last = el.seen[el.seen.length - 1];
    assert.equal(last?.[0], session.snapshot);
    assert.equal(last?.[1], previous);
  });

  it('switches to a new explicit session and leaves the old one alone', async () => {
    const first = FakeCallSession.ready();
    const second = FakeCallSession.ready();
    const el = await host(first);
    el.session = second;
    el.requestUpdate();
    await el.updateComplete;
    assert.equal(first.subscriberCount, 0);
    assert.equal(second.subscriberCount, 1);
    assert.equal(el.call.session, second);
    assert.isFalse(first.disposed, 'an explicit session is never disposed');
    assert.isFalse(el.call.ownsSession);
  });

  it('creates a session from options, and disposes it when the options change', async () => {
    const el = await host();
    const first = options();
    el.call.configure(first);
    assert.isTrue(el.call.creating);
    await until(() => el.call.session !== undefined);
    const created = el.created[0];
    assert.equal(el.call.session, created);
    assert.isTrue(el.call.ownsSession);
    el.call.configure(first); // same object: kept
    assert.equal(el.created.length, 1);
    el.call.configure(options('!b:example.org'));
    await until(() => el.created.length === 2 && el.call.session === el.created[1]);
    assert.isTrue(created?.disposed, 'the replaced session is disposed');
  });

  it('drops a session that finished creating after the options changed', async () => {
    const el = await host();
    let release = () => {};
    el.createGate = new Promise((resolve) => (release = resolve));
    el.call.configure(options());
    el.call.configure(options('!b:example.org'));
    el.createGate = undefined;
    release();
    await until(() => el.created.length === 2);
    await until(() => el.created[0]?.disposed === true, 'the stale session is disposed');
    assert.equal(el.call.session, el.created[1]);
  });

  it('disposes the session it created when the host is removed', async () => {
    const el = await host();
    el.call.configure(options());
    await until(() => el.call.session !== undefined);
    const created = el.created[0];
    el.remove();
    await until(() => created?.disposed === true, 'disposed after removal');
  });

  it('keeps the session across a move in the DOM', async () => {
    const el = await host();
    el.call.configure(options());
    await until(() => el.call.session !== undefined);
    const created = el.created[0];
    const parent = el.parentElement;
    el.remove();
    parent?.append(el);
    await new Promise((r) => setTimeout(r, 20));
    assert.isFalse(created?.disposed);
    assert.equal(el.call.session, created);
  });

  it('reports a failed creation as an error', async () => {
    const el = await host();
    el.failCreate = new Error('chunk failed');
    el.call.configure(options());
    await until(() => el.call.error !== undefined);
    assert.equal(el.call.error?.reason, 'unknown');
    assert.isFalse(el.call.creating);
    assert.lengthOf(el.errors, 1);
  });

  it('runs commands on the session and keeps their errors', async () => {
    const session = FakeCallSession.ready();
    const el = await host(session);
    await el.call.setMicrophoneEnabled(false);
    assert.isFalse(session.snapshot.local.microphoneEnabled);
    const denied = MatrixCallError.mediaPermissionDenied('camera');
    session.failures.set('setCameraEnabled', denied);
    await el.call.setCameraEnabled(true);
    assert.equal(el.call.error, denied);
    assert.deepEqual(el.errors, [denied]);
    await el.call.setCameraEnabled(false);
    assert.isUndefined(el.call.error, 'a new command clears the last error');
  });

  it('passes the lobby name to join and cancels a join without an error', async () => {
    const session = FakeCallSession.ready();
    session.holdJoinAt = 'connecting';
    const el = await host(session);
    const joined = el.call.join({ displayName: 'Robin' });
    assert.isTrue(el.call.joining);
    await until(() => session.snapshot.phase === 'connecting');
    const [call] = session.calls.filter((c) => c.method === 'join');
    assert.equal((call?.args[0] as { displayName?: string }).displayName, 'Robin');
    el.call.cancelJoin();
    await joined;
    assert.isFalse(el.call.joining);
    assert.isUndefined(el.call.error, 'cancelling is not an error');
    assert.lengthOf(el.errors, 0);
  });

  it('drops the result of a command for a session that was replaced', async () => {
    const first = FakeCallSession.ready();
    first.failures.set('setMicrophoneEnabled', MatrixCallError.unknown());
    const el = await host(first);
    const pending = el.call.setMicrophoneEnabled(false);
    el.session = FakeCallSession.ready();
    el.requestUpdate();
    await el.updateComplete;
    await pending;
    assert.isUndefined(el.call.error);
    assert.lengthOf(el.errors, 0);
  });

  it('starts each session once when autoStart is on', async () => {
    class AutoHost extends ReactiveElement {
      session?: CallSessionApi;
      readonly call = new CallController(this, { session: () => this.session, autoStart: true });
    }
    customElements.define('auto-host', AutoHost);
    const session = new FakeCallSession();
    const el = await fixture<AutoHost>(html`<auto-host .session=${session}></auto-host>`);
    el.requestUpdate();
    await el.updateComplete;
    await until(() => session.snapshot.status === 'ready');
    el.remove();
    document.body.append(el);
    await el.updateComplete;
    assert.equal(session.count('start'), 1);
    el.remove();
  });
});

async function until(check: () => boolean, message = 'condition') {
  const start = Date.now();
  while (!check()) {
    if (Date.now() - start > 2000) throw new Error(`timed out waiting for ${message}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}
