import type { MatrixClient } from 'matrix-js-sdk';
import type { WidgetApi } from 'matrix-widget-api';
import type { MatrixCallError } from './errors.js';
import type { DiagnosticsLog } from './diagnostics.js';

/** Where a call stands. `idle` covers the lobby: signed in, not yet joined. */
export const CallPhase = {
  Idle: 'idle',
  Discovering: 'discovering',
  Authorizing: 'authorizing',
  Connecting: 'connecting',
  Publishing: 'publishing',
  Joining: 'joining',
  Connected: 'connected',
  Reconnecting: 'reconnecting',
  Leaving: 'leaving',
  Ended: 'ended',
  Failed: 'failed',
} as const;
export type CallPhase = (typeof CallPhase)[keyof typeof CallPhase];

/** English labels for each phase; the elements translate through their own string table. */
export const callPhaseLabels: Readonly<Record<CallPhase, string>> = {
  idle: 'Not in the call',
  discovering: 'Finding the call server…',
  authorizing: 'Getting permission to join…',
  connecting: 'Connecting to the call server…',
  publishing: 'Starting your camera and microphone…',
  joining: 'Joining the call…',
  connected: 'In the call',
  reconnecting: 'Reconnecting…',
  leaving: 'Leaving…',
  ended: 'Call ended',
  failed: 'Call failed',
};

/** State of the Matrix side before any call: signing in, syncing, finding the room. */
export const SessionStatus = {
  Starting: 'starting',
  Ready: 'ready',
  Failed: 'failed',
  Stopped: 'stopped',
} as const;
export type SessionStatus = (typeof SessionStatus)[keyof typeof SessionStatus];

/** How media is encrypted in this call. */
export type EncryptionMode = 'per-participant' | 'shared-secret' | 'none';

/**
 * Per remote participant: whether we can decrypt their media. `unsupported`: their app
 * cannot encrypt (it sends the legacy membership format), so an encrypted call takes none.
 */
export type ParticipantEncryptionState =
  'ok' | 'waiting-for-key' | 'key-invalid' | 'unsupported' | 'none';

export type ConnectionQuality = 'excellent' | 'good' | 'poor' | 'lost' | 'unknown';

export type TrackSource = 'camera' | 'microphone' | 'screen-share' | 'screen-share-audio';

/** What a page reports about where a video is shown, so hidden tiles stop receiving video. */
export interface VideoViewport {
  visible: boolean;
  /** CSS pixels. */
  width: number;
  height: number;
  pictureInPicture?: boolean;
}

/**
 * One video view registration. `update` reports size and visibility changes;
 * `release` must be called when the view goes away.
 */
export interface VideoViewHandle {
  update(viewport: VideoViewport): void;
  release(): void;
}

/**
 * A media track as the UI sees it: a plain `MediaStreamTrack` to render, plus,
 * for remote video, a way to report visibility for adaptive streaming.
 */
export interface CallTrack {
  /** Stable for the life of the track; use it as a render key. */
  readonly id: string;
  readonly kind: 'audio' | 'video';
  readonly source: TrackSource;
  readonly isLocal: boolean;
  readonly mediaStreamTrack: MediaStreamTrack;
  /**
   * Register a place where this video is shown. Remote video only receives
   * frames while at least one registered view is visible.
   */
  observeView(initial: VideoViewport): VideoViewHandle;
}

/** A reaction in Element Call's set (`name` as it sends it), or `generic` with any emoji. */
export interface CallReaction {
  readonly emoji: string;
  readonly name: string;
}

export interface CallParticipant {
  /** LiveKit identity = the membership's `rtcBackendIdentity`. Unique per device in the call. */
  readonly id: string;
  readonly userId: string;
  readonly deviceId: string;
  readonly displayName: string;
  /** An http(s) thumbnail URL, already resolved from the `mxc://` avatar. */
  readonly avatarUrl: string | undefined;
  readonly isLocal: boolean;
  readonly speaking: boolean;
  /** 0..1 */
  readonly audioLevel: number;
  readonly microphoneEnabled: boolean;
  readonly cameraEnabled: boolean;
  readonly screenShareEnabled: boolean;
  readonly connectionQuality: ConnectionQuality;
  readonly encryption: ParticipantEncryptionState;
  readonly cameraTrack: CallTrack | undefined;
  readonly microphoneTrack: CallTrack | undefined;
  readonly screenShareTrack: CallTrack | undefined;
  readonly screenShareAudioTrack: CallTrack | undefined;
  /** When this device joined the call (membership `created_ts`), ms since epoch. */
  readonly joinedAt: number;
  /** When they raised their hand (ms since epoch, our clock), or `undefined` while it is down. */
  readonly handRaisedAt: number | undefined;
  /** The reaction they sent, for the 3 s it shows. */
  readonly reaction: CallReaction | undefined;
}

export interface MediaDeviceChoice {
  readonly deviceId: string;
  readonly label: string;
  readonly kind: 'audioinput' | 'videoinput' | 'audiooutput';
}

export interface LocalMediaState {
  readonly microphoneEnabled: boolean;
  readonly cameraEnabled: boolean;
  readonly screenShareEnabled: boolean;
  /** Selected device IDs; `undefined` = the browser default. */
  readonly audioInputId: string | undefined;
  readonly videoInputId: string | undefined;
  readonly audioOutputId: string | undefined;
  /** The local camera for the lobby preview and the self tile. */
  readonly cameraTrack: CallTrack | undefined;
  readonly microphoneTrack: CallTrack | undefined;
  /** 0..1, the local microphone level (for the lobby meter). */
  readonly audioLevel: number;
  /** Whether the browser lets this page pick the audio output. */
  readonly canSelectAudioOutput: boolean;
  readonly canShareScreen: boolean;
  /**
   * Why the camera or microphone is off although it was wanted: the browser
   * refused it, there is none, or it would not start. Joining still works,
   * receive-only. Cleared once the device works.
   */
  readonly problem: MatrixCallError | undefined;
}

export interface CallDevices {
  readonly audioinput: readonly MediaDeviceChoice[];
  readonly videoinput: readonly MediaDeviceChoice[];
  readonly audiooutput: readonly MediaDeviceChoice[];
}

export interface RoomSummary {
  readonly roomId: string;
  readonly name: string;
  readonly avatarUrl: string | undefined;
  /** The room has `m.room.encryption`; calls there use per-participant keys. */
  readonly encrypted: boolean;
}

export interface CallMemberSummary {
  readonly userId: string;
  readonly deviceId: string;
  readonly displayName: string;
  readonly avatarUrl: string | undefined;
}

/** Who is in the room's call right now, known without joining it. */
export interface CallInProgress {
  readonly active: boolean;
  readonly members: readonly CallMemberSummary[];
  /** Distinct users (one user may be in the call on several devices). */
  readonly userCount: number;
}

export interface SignedInUser {
  readonly userId: string;
  readonly deviceId: string;
  readonly displayName: string;
  readonly avatarUrl: string | undefined;
}

/** An incoming call notification (`org.matrix.msc4075.rtc.notification`). */
export interface IncomingCallNotification {
  readonly eventId: string;
  readonly roomId: string;
  readonly sender: string;
  readonly senderName: string;
  readonly type: 'ring' | 'notification';
  readonly intent: 'audio' | 'video' | undefined;
  /** ms since epoch after which it should stop ringing. */
  readonly expiresAt: number;
}

/** Everything the UI needs, immutable: a new object on every change. */
export interface CallSnapshot {
  readonly status: SessionStatus;
  readonly phase: CallPhase;
  /** English label of `phase`. */
  readonly phaseLabel: string;
  /** When `phase` was entered, ms since epoch. */
  readonly phaseSince: number;
  readonly user: SignedInUser | undefined;
  readonly room: RoomSummary | undefined;
  readonly encryption: EncryptionMode;
  /** Remote participants with a valid membership, plus the local one when joined; local first. */
  readonly participants: readonly CallParticipant[];
  readonly local: LocalMediaState;
  readonly devices: CallDevices;
  readonly callInProgress: CallInProgress;
  readonly incomingNotification: IncomingCallNotification | undefined;
  /**
   * Whether the homeserver answers `/sync`. When it doesn't, the call goes
   * on (media flows through the SFU) but nobody can join, leave or rotate keys.
   */
  readonly homeserverReachable: boolean;
  readonly error: MatrixCallError | undefined;
}

/** Credentials of an existing Matrix session (device). */
export interface MatrixCredentials {
  /** Client-server API base URL, e.g. `https://matrix.example.org`. */
  homeserver: string;
  userId: string;
  deviceId: string;
  accessToken: string;
}

export interface PasswordLogin {
  homeserver: string;
  /** A localpart or a full user ID. */
  username: string;
  password: string;
  /** Shown in the user's device list. */
  deviceDisplayName?: string;
}

/**
 * A call inside a widget host (Element Web, or any client that hosts Element Call): the host
 * keeps the login and the crypto, and we reach Matrix through the widget API.
 */
export interface WidgetSource {
  /** matrix-widget-api's `WidgetApi` to the host, not started yet. */
  api: WidgetApi;
  roomId: string;
  userId: string;
  deviceId: string;
  /** The homeserver's client API base URL (for media and `.well-known`; no token goes there). */
  baseUrl: string;
  /**
   * Resolves once the page is drawn and themed. We then tell the host (`content_loaded`), and
   * a host like Element Web starts asking us for capabilities only after that.
   */
  drawn?: Promise<unknown>;
}

/** How the core gets a Matrix session. */
export type SessionSource =
  | { kind: 'client'; client: MatrixClient }
  | { kind: 'credentials'; credentials: MatrixCredentials }
  | { kind: 'password'; login: PasswordLogin }
  | { kind: 'widget'; widget: WidgetSource };

/** Membership timing knobs, passed through to matrix-js-sdk (tests shorten them). */
export interface MembershipTiming {
  delayedLeaveEventDelayMs?: number;
  delayedLeaveEventRestartMs?: number;
  delayedLeaveEventRestartLocalTimeoutMs?: number;
  membershipEventExpiryMs?: number;
  networkErrorRetryMs?: number;
  useKeyDelayMs?: number;
  keyRotationGracePeriodMs?: number;
}

export interface CallSessionOptions {
  source: SessionSource;
  /** Room ID (`!…`) or alias (`#…`). */
  room: string;
  /** Shared-secret E2EE instead of per-participant keys (Element Call's `password`). */
  password?: string;
  /**
   * Encrypt with per-participant keys even if the room's state does not say the room is
   * encrypted (a widget host's `perParticipantE2EE`: it sees the state; we may not).
   */
  requireEncryption?: boolean;
  /** Use this lk-jwt-service URL instead of discovering one. */
  livekitServiceUrl?: string;
  /** The call's intent; an audio call starts with the camera off. */
  intent?: 'audio' | 'video';
  /**
   * Ring or notify the room's members when we are the first to join. `'auto'` does what
   * Element Web asks Element Call to do: ring in a direct chat, notify anywhere else.
   * Unset, nothing is sent.
   */
  notify?: 'ring' | 'notification' | 'auto';
  /** Where the LiveKit E2EE worker lives, if not next to the code (CSP `worker-src`). */
  e2eeWorkerUrl?: string | URL;
  /** Display name to set on the Matrix profile for this room call. */
  displayName?: string;
  /** Initial devices and mute state (from the lobby). */
  media?: {
    microphoneEnabled?: boolean;
    cameraEnabled?: boolean;
    audioInputId?: string;
    videoInputId?: string;
    audioOutputId?: string;
  };
  membershipTiming?: MembershipTiming;
  /**
   * How long to keep trying to get back onto our SFU after it dropped us (it
   * restarted, or the network went away) before the call ends as
   * `connection-lost`. The membership stays meanwhile. Default 120 s.
   */
  reconnectTimeoutMs?: number;
  /**
   * Which SFUs named in other members' memberships we connect to, to receive
   * their media; each connection sends that SFU's lk-jwt-service a fresh
   * OpenID token (which proves who we are, nothing more). `'any'` (the
   * default, as Element Call: federated calls need it), `'none'` (only our
   * own SFU), or a list of lk-jwt-service hosts such as `['rtc.example.org']`.
   * A failing one is retried with backoff for up to 2 minutes.
   */
  foreignSfus?: 'any' | 'none' | readonly string[];
  /** Log to the console as well as to the diagnostics log. */
  debug?: boolean;
}

/** Events of the core session. Snapshot changes come through `subscribe()` as well. */
export const CallSessionEvent = {
  /** The snapshot changed. */
  StateChanged: 'stateChanged',
  PhaseChanged: 'phaseChanged',
  Joined: 'joined',
  Left: 'left',
  ParticipantJoined: 'participantJoined',
  ParticipantLeft: 'participantLeft',
  LocalMediaChanged: 'localMediaChanged',
  Error: 'error',
  IncomingNotification: 'incomingNotification',
} as const;
export type CallSessionEvent = (typeof CallSessionEvent)[keyof typeof CallSessionEvent];

export type LeaveReason = 'user' | 'error' | 'disposed';

export interface CallSessionEventMap {
  [CallSessionEvent.StateChanged]: (snapshot: CallSnapshot) => void;
  [CallSessionEvent.PhaseChanged]: (phase: CallPhase, previous: CallPhase) => void;
  [CallSessionEvent.Joined]: () => void;
  [CallSessionEvent.Left]: (reason: LeaveReason) => void;
  [CallSessionEvent.ParticipantJoined]: (participant: CallParticipant) => void;
  [CallSessionEvent.ParticipantLeft]: (participant: CallParticipant) => void;
  [CallSessionEvent.LocalMediaChanged]: (local: LocalMediaState) => void;
  [CallSessionEvent.Error]: (error: MatrixCallError) => void;
  [CallSessionEvent.IncomingNotification]: (notification: IncomingCallNotification) => void;
}

export type DeviceKind = 'audioinput' | 'videoinput' | 'audiooutput';

/** Receiver statistics of one remote track, for diagnostics and tests. */
export interface MediaStats {
  /** The participant's `id` (LiveKit identity). */
  readonly participantId: string;
  readonly trackId: string;
  readonly source: string;
  readonly kind: 'audio' | 'video';
  readonly framesDecoded: number;
  readonly packetsReceived: number;
  readonly packetsLost: number;
  readonly bytesReceived: number;
  /** Video only: the size of the last decoded frame (0 before the first). */
  readonly frameWidth: number;
  readonly frameHeight: number;
  /** Audio only: samples received and those concealed (lost or undecryptable). */
  readonly totalSamplesReceived: number;
  readonly concealedSamples: number;
}

/**
 * The core's public surface. `CallSession` implements it; the UI depends only
 * on this interface, so test doubles can stand in for hard-to-produce states.
 */
export interface CallSessionApi {
  readonly snapshot: CallSnapshot;
  readonly diagnostics: DiagnosticsLog;
  /** Calls `listener` on every snapshot change. Returns the unsubscribe function. */
  subscribe(listener: (snapshot: CallSnapshot) => void): () => void;
  on<E extends CallSessionEvent>(event: E, listener: CallSessionEventMap[E]): this;
  off<E extends CallSessionEvent>(event: E, listener: CallSessionEventMap[E]): this;
  /** Sign in, sync and find the room: everything the lobby needs. */
  start(options?: { signal?: AbortSignal }): Promise<void>;
  /** Start the local camera and microphone for the lobby, without joining. */
  startPreview(): Promise<void>;
  stopPreview(): Promise<void>;
  /**
   * Join the room's call. Rejects with a `MatrixCallError`. `displayName` is
   * the name typed in the lobby; when given it replaces `options.displayName`.
   */
  join(options?: { signal?: AbortSignal; displayName?: string }): Promise<void>;
  /** Leave the call; bounded, never hangs. */
  leave(): Promise<void>;
  setMicrophoneEnabled(enabled: boolean): Promise<void>;
  setCameraEnabled(enabled: boolean): Promise<void>;
  setScreenShareEnabled(enabled: boolean): Promise<void>;
  selectDevice(kind: DeviceKind, deviceId: string): Promise<void>;
  /** Raises or lowers our hand in the call (Element Call's format). Needs the call joined. */
  setHandRaised(raised: boolean): Promise<void>;
  /**
   * Sends a reaction by its name in Element Call's set (`thumbsup`, `party`, …; see
   * `CALL_REACTIONS`). Nothing is sent while our last one still shows (3 s).
   */
  sendReaction(name: string): Promise<void>;
  /**
   * Tells the core whose camera video is on screen (participant `id`s): the others' is not
   * received, which keeps a large call as cheap as a small one. `undefined` (the default)
   * receives everyone's. Audio and screen shares are always received.
   */
  setVisibleParticipants(ids: readonly string[] | undefined): void;
  /** Receiver statistics of the remote tracks (empty outside a call). */
  getMediaStats(): Promise<MediaStats[]>;
  /** Stop everything and release the Matrix client if the core created it. */
  dispose(): Promise<void>;
}
