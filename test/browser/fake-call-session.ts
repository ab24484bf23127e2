// A CallSessionApi test double: tests set any snapshot (12 participants, each
// error reason, …) and the commands behave like a real session would, over
// real MediaStreamTracks drawn on canvases, so videos really play.
import { DiagnosticsLog } from '../../src/core/diagnostics.js';
import { MatrixCallError } from '../../src/core/errors.js';
import {
  callPhaseLabels,
  type CallParticipant,
  type CallPhase,
  type CallSessionApi,
  type CallSessionEvent,
  type CallSessionEventMap,
  type CallSnapshot,
  type CallTrack,
  type DeviceKind,
  type LocalMediaState,
  type TrackSource,
  type VideoViewHandle,
  type VideoViewport,
} from '../../src/core/types.js';

const stoppers: (() => void)[] = [];

/** Stops every fake track and drawing timer; call it in `afterEach`. */
export function stopFakeMedia(): void {
  for (const stop of stoppers.splice(0)) stop();
}

/** A view registration as the fake records it. */
export interface FakeView {
  viewport: VideoViewport;
  released: boolean;
  updates: number;
}

export interface FakeTrack extends CallTrack {
  readonly views: FakeView[];
}

/** Views that are registered, not released, and currently visible. */
export function visibleViews(track: FakeTrack | CallTrack | undefined): FakeView[] {
  return ((track as FakeTrack | undefined)?.views ?? []).filter(
    (v) => !v.released && v.viewport.visible,
  );
}

let trackCounter = 0;

/** A video track drawn in one colour on a canvas of the given size. */
export function fakeVideoTrack(
  options: {
    color?: string;
    width?: number;
    height?: number;
    source?: TrackSource;
    isLocal?: boolean;
  } = {},
): FakeTrack {
  const {
    color = '#3366cc',
    width = 320,
    height = 180,
    source = 'camera',
    isLocal = false,
  } = options;
  const canvas = document.createElement('canvas');
  canvas.width = width;
  canvas.height = height;
  const ctx = canvas.getContext('2d');
  let frame = 0;
  const draw = () => {
    if (!ctx) return;
    ctx.fillStyle = color;
    ctx.fillRect(0, 0, width, height);
    ctx.fillStyle = frame++ % 2 ? '#ffffff' : '#000000';
    ctx.fillRect(0, 0, 2, 2);
  };
  const stream = canvas.captureStream(10);
  draw();
  const timer = setInterval(draw, 100);
  const mediaStreamTrack = stream.getVideoTracks()[0];
  if (!mediaStreamTrack) throw new Error('canvas.captureStream gave no video track');
  stoppers.push(() => {
    clearInterval(timer);
    mediaStreamTrack.stop();
  });
  return makeTrack('video', source, isLocal, mediaStreamTrack);
}

let audioContext: AudioContext | undefined;

/** An audio track carrying a quiet tone. */
export function fakeAudioTrack(
  options: { source?: TrackSource; isLocal?: boolean } = {},
): FakeTrack {
  audioContext ??= new AudioContext();
  const oscillator = audioContext.createOscillator();
  const gain = audioContext.createGain();
  gain.gain.value = 0.01;
  const destination = audioContext.createMediaStreamDestination();
  oscillator.connect(gain).connect(destination);
  oscillator.start();
  const mediaStreamTrack = destination.stream.getAudioTracks()[0];
  if (!mediaStreamTrack) throw new Error('no audio track');
  stoppers.push(() => {
    oscillator.stop();
    mediaStreamTrack.stop();
  });
  return makeTrack(
    'audio',
    options.source ?? 'microphone',
    options.isLocal ?? false,
    mediaStreamTrack,
  );
}

function makeTrack(
  kind: 'audio' | 'video',
  source: TrackSource,
  isLocal: boolean,
  mediaStreamTrack: MediaStreamTrack,
): FakeTrack {
  const views: FakeView[] = [];
  return {
    id: `track-${++trackCounter}`,
    kind,
    source,
    isLocal,
    mediaStreamTrack,
    views,
    observeView(initial: VideoViewport): VideoViewHandle {
      const view: FakeView = { viewport: { ...initial }, released: false, updates: 0 };
      views.push(view);
      return {
        update(viewport) {
          view.viewport = { ...viewport };
          view.updates++;
        },
        release() {
          view.released = true;
        },
      };
    },
  };
}

const colors = ['#d9480f', '#2b8a3e', '#1864ab', '#862e9c', '#e67700', '#0b7285', '#c2255c'];
const names = [
  'Morgan',
  'Alice',
  'Bob',
  'Carol',
  'Dave',
  'Erin',
  'Frank',
  'Grace',
  'Heidi',
  'Ivan',
];

/** A remote participant with sensible defaults; `index` picks a name and colour. */
export function fakeParticipant(
  index: number,
  overrides: Partial<CallParticipant> & { video?: boolean } = {},
): CallParticipant {
  const { video = true, ...rest } = overrides;
  const name = names[index % names.length] ?? 'Someone';
  const isLocal = rest.isLocal ?? false;
  const cameraEnabled = rest.cameraEnabled ?? video;
  return {
    id: `@${name.toLowerCase()}${index}:example.org:DEVICE${index}`,
    userId: `@${name.toLowerCase()}${index}:example.org`,
    deviceId: `DEVICE${index}`,
    displayName: index >= names.length ? `${name} ${index}` : name,
    avatarUrl: undefined,
    isLocal,
    speaking: false,
    audioLevel: 0,
    microphoneEnabled: true,
    cameraEnabled,
    screenShareEnabled: false,
    connectionQuality: 'good',
    encryption: 'ok',
    cameraTrack: cameraEnabled
      ? fakeVideoTrack({ color: colors[index % colors.length] ?? '#888', isLocal })
      : undefined,
    microphoneTrack: undefined,
    screenShareTrack: undefined,
    screenShareAudioTrack: undefined,
    joinedAt: 1_700_000_000_000 + index * 1000,
    handRaisedAt: undefined,
    reaction: undefined,
    ...rest,
  };
}

const defaultLocal: LocalMediaState = {
  microphoneEnabled: true,
  cameraEnabled: true,
  screenShareEnabled: false,
  audioInputId: undefined,
  videoInputId: undefined,
  audioOutputId: undefined,
  cameraTrack: undefined,
  microphoneTrack: undefined,
  audioLevel: 0,
  canSelectAudioOutput: true,
  canShareScreen: true,
  problem: undefined,
};

/** The snapshot of a session that has not started yet. */
export function initialSnapshot(): CallSnapshot {
  return {
    status: 'starting',
    phase: 'idle',
    phaseLabel: callPhaseLabels.idle,
    phaseSince: Date.now(),
    user: undefined,
    room: undefined,
    encryption: 'per-participant',
    participants: [],
    homeserverReachable: true,
    local: defaultLocal,
    devices: {
      audioinput: [
        { deviceId: 'mic-1', label: 'Built-in microphone', kind: 'audioinput' },
        { deviceId: 'mic-2', label: 'Headset microphone', kind: 'audioinput' },
      ],
      videoinput: [{ deviceId: 'cam-1', label: 'Front camera', kind: 'videoinput' }],
      audiooutput: [
        { deviceId: 'spk-1', label: 'Speakers', kind: 'audiooutput' },
        { deviceId: 'spk-2', label: 'Headphones', kind: 'audiooutput' },
      ],
    },
    callInProgress: { active: false, members: [], userCount: 0 },
    incomingNotification: undefined,
    error: undefined,
  };
}

type Method =
  | 'start'
  | 'startPreview'
  | 'stopPreview'
  | 'join'
  | 'leave'
  | 'setMicrophoneEnabled'
  | 'setCameraEnabled'
  | 'setScreenShareEnabled'
  | 'selectDevice'
  | 'setHandRaised'
  | 'sendReaction'
  | 'dispose';

export class FakeCallSession implements CallSessionApi {
  snapshot: CallSnapshot;
  readonly diagnostics = new DiagnosticsLog();
  /** Every command, in order. */
  readonly calls: { method: Method; args: unknown[] }[] = [];
  /** The next call of a method rejects with this error (and the phase fails for join/start). */
  readonly failures = new Map<Method, MatrixCallError>();
  /** Remote participants that are in the call when `join()` connects. */
  remotes: CallParticipant[] = [];
  /** When set, `join()` stops at this phase until `proceed()` is called. */
  holdJoinAt: CallPhase | undefined;
  private releaseJoin: (() => void) | undefined;
  private readonly listeners = new Set<(snapshot: CallSnapshot) => void>();
  disposed = false;

  constructor(patch: Partial<CallSnapshot> = {}) {
    this.snapshot = { ...initialSnapshot(), ...patch };
    this.diagnostics.info('session', 'fake session created');
  }

  /** A session that has started: signed in, room found, in the lobby. */
  static ready(patch: Partial<CallSnapshot> = {}): FakeCallSession {
    return new FakeCallSession({ ...readyState(), ...patch });
  }

  /** A session in a connected call with `remotes` remote participants (plus the local one). */
  static inCall(remotes: number | CallParticipant[], patch: Partial<CallSnapshot> = {}) {
    const session = FakeCallSession.ready();
    const list =
      typeof remotes === 'number'
        ? Array.from({ length: remotes }, (_, i) => fakeParticipant(i + 1))
        : remotes;
    session.set({
      phase: 'connected',
      phaseLabel: callPhaseLabels.connected,
      participants: [session.localParticipant(), ...list],
      ...patch,
    });
    return session;
  }

  /** Replaces parts of the snapshot and notifies subscribers, like the core does. */
  set(patch: Partial<CallSnapshot>): void {
    const phase = patch.phase;
    this.snapshot = {
      ...this.snapshot,
      ...(phase !== undefined && phase !== this.snapshot.phase
        ? { phaseLabel: callPhaseLabels[phase], phaseSince: Date.now() }
        : {}),
      ...patch,
    };
    for (const listener of [...this.listeners]) listener(this.snapshot);
  }

  setLocal(patch: Partial<LocalMediaState>): void {
    const local = { ...this.snapshot.local, ...patch };
    this.set({
      local,
      participants: this.snapshot.participants.map((p) =>
        p.isLocal
          ? {
              ...p,
              microphoneEnabled: local.microphoneEnabled,
              cameraEnabled: local.cameraEnabled,
              screenShareEnabled: local.screenShareEnabled,
              cameraTrack: local.cameraEnabled ? local.cameraTrack : undefined,
            }
          : p,
      ),
    });
  }

  /** Replaces one participant (by ID) with changes. */
  updateParticipant(id: string, patch: Partial<CallParticipant>): void {
    this.set({
      participants: this.snapshot.participants.map((p) => (p.id === id ? { ...p, ...patch } : p)),
    });
  }

  localParticipant(): CallParticipant {
    const { user, local } = this.snapshot;
    return fakeParticipant(0, {
      id: `${user?.userId ?? '@me:example.org'}:ME`,
      userId: user?.userId ?? '@me:example.org',
      deviceId: 'ME',
      displayName: user?.displayName ?? 'Me',
      isLocal: true,
      microphoneEnabled: local.microphoneEnabled,
      cameraEnabled: local.cameraEnabled,
      cameraTrack: local.cameraEnabled
        ? (local.cameraTrack ?? fakeVideoTrack({ color: '#555555', isLocal: true }))
        : undefined,
    });
  }

  /** Lets a held join go on. */
  proceed(): void {
    this.releaseJoin?.();
  }

  subscribe(listener: (snapshot: CallSnapshot) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  get subscriberCount(): number {
    return this.listeners.size;
  }

  on<E extends CallSessionEvent>(_event: E, _listener: CallSessionEventMap[E]): this {
    return this;
  }

  off<E extends CallSessionEvent>(_event: E, _listener: CallSessionEventMap[E]): this {
    return this;
  }

  private record(method: Method, args: unknown[]): void {
    this.calls.push({ method, args });
    const failure = this.failures.get(method);
    if (failure) {
      this.failures.delete(method);
      throw failure;
    }
  }

  count(method: Method): number {
    return this.calls.filter((c) => c.method === method).length;
  }

  async start(): Promise<void> {
    await Promise.resolve();
    try {
      this.record('start', []);
    } catch (error) {
      this.set({ status: 'failed', error: error as MatrixCallError });
      throw error;
    }
    this.set(readyState());
  }

  async startPreview(): Promise<void> {
    await Promise.resolve();
    this.record('startPreview', []);
    this.setLocal({
      cameraTrack: this.snapshot.local.cameraEnabled
        ? fakeVideoTrack({ color: '#2b8a3e', isLocal: true })
        : undefined,
      microphoneTrack: fakeAudioTrack({ isLocal: true }),
      audioLevel: 0.4,
    });
  }

  async stopPreview(): Promise<void> {
    await Promise.resolve();
    this.record('stopPreview', []);
  }

  async join(options: { signal?: AbortSignal; displayName?: string } = {}): Promise<void> {
    this.record('join', [options]);
    const steps: CallPhase[] = [
      'discovering',
      'authorizing',
      'connecting',
      'publishing',
      'joining',
    ];
    for (const phase of steps) {
      if (options.signal?.aborted) break;
      this.set({ phase });
      if (phase === this.holdJoinAt) {
        await new Promise<void>((resolve) => {
          this.releaseJoin = resolve;
          options.signal?.addEventListener(
            'abort',
            () => {
              resolve();
            },
            { once: true },
          );
        });
      } else await Promise.resolve();
    }
    if (options.signal?.aborted) {
      this.set({ phase: 'idle' });
      throw MatrixCallError.aborted();
    }
    const failure = this.failures.get('join');
    if (failure) {
      this.failures.delete('join');
      this.set({ phase: 'failed', error: failure });
      throw failure;
    }
    this.set({ phase: 'connected', participants: [this.localParticipant(), ...this.remotes] });
  }

  async leave(): Promise<void> {
    this.record('leave', []);
    this.set({ phase: 'leaving' });
    await Promise.resolve();
    this.set({ phase: 'ended', participants: [] });
  }

  async setMicrophoneEnabled(enabled: boolean): Promise<void> {
    await Promise.resolve();
    this.record('setMicrophoneEnabled', [enabled]);
    this.setLocal({ microphoneEnabled: enabled });
  }

  async setCameraEnabled(enabled: boolean): Promise<void> {
    await Promise.resolve();
    this.record('setCameraEnabled', [enabled]);
    this.setLocal({
      cameraEnabled: enabled,
      cameraTrack: enabled
        ? (this.snapshot.local.cameraTrack ?? fakeVideoTrack({ color: '#2b8a3e', isLocal: true }))
        : undefined,
    });
  }

  async setScreenShareEnabled(enabled: boolean): Promise<void> {
    await Promise.resolve();
    this.record('setScreenShareEnabled', [enabled]);
    this.setLocal({ screenShareEnabled: enabled });
  }

  async selectDevice(kind: DeviceKind, deviceId: string): Promise<void> {
    await Promise.resolve();
    this.record('selectDevice', [kind, deviceId]);
    const key = (
      {
        audioinput: 'audioInputId',
        videoinput: 'videoInputId',
        audiooutput: 'audioOutputId',
      } as const
    )[kind];
    this.setLocal({ [key]: deviceId });
  }

  /** Raises or lowers the local participant's hand at once. */
  async setHandRaised(raised: boolean): Promise<void> {
    await Promise.resolve();
    this.record('setHandRaised', [raised]);
    this.#updateLocal({ handRaisedAt: raised ? Date.now() : undefined });
  }

  /** Shows the reaction on the local tile (the fake never ends it: tests set it back). */
  async sendReaction(name: string): Promise<void> {
    await Promise.resolve();
    this.record('sendReaction', [name]);
    this.#updateLocal({ reaction: { emoji: '👍', name } });
  }

  #updateLocal(patch: Partial<CallParticipant>): void {
    this.set({
      participants: this.snapshot.participants.map((p) => (p.isLocal ? { ...p, ...patch } : p)),
    });
  }

  /** Receiver statistics: the fake has no real receivers. */
  /** What the UI last said is on screen (`setVisibleParticipants`), and every report in order. */
  visibleParticipants: readonly string[] | undefined;
  readonly visibleReports: (readonly string[] | undefined)[] = [];

  setVisibleParticipants(ids: readonly string[] | undefined): void {
    this.visibleParticipants = ids;
    this.visibleReports.push(ids);
  }

  getMediaStats(): Promise<never[]> {
    return Promise.resolve([]);
  }

  async dispose(): Promise<void> {
    await Promise.resolve();
    this.record('dispose', []);
    this.disposed = true;
    this.set({ status: 'stopped' });
  }
}

function readyState(): Partial<CallSnapshot> {
  return {
    status: 'ready',
    user: {
      userId: '@me:example.org',
      deviceId: 'ME',
      displayName: 'Morgan',
      avatarUrl: undefined,
    },
    room: {
      roomId: '!room:example.org',
      name: 'Team standup',
      avatarUrl: undefined,
      encrypted: true,
    },
  };
}
