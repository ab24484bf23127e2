import {
  createAudioAnalyser,
  createLocalAudioTrack,
  createLocalVideoTrack,
  supportsAudioOutputSelection,
  Track,
  VideoPresets,
  type LocalAudioTrack,
  type LocalParticipant,
  type LocalVideoTrack,
} from 'livekit-client';
import type { DiagnosticsLog } from './diagnostics.js';
import { describe } from './discovery.js';
import { MatrixCallError } from './errors.js';
import { toCallTrack } from './tracks.js';
import type { CallDevices, DeviceKind, LocalMediaState, MediaDeviceChoice } from './types.js';

/** Capture at 720p like Element Call; the SFU and simulcast scale it down per viewer. */
export const cameraCapture = { resolution: VideoPresets.h720.resolution };
export const microphoneCapture = {
  echoCancellation: true,
  noiseSuppression: true,
  autoGainControl: true,
};

/** Maps what getUserMedia / getDisplayMedia threw to a typed, actionable error. */
export function mediaError(
  kind: 'camera' | 'microphone' | 'screen',
  error: unknown,
): MatrixCallError {
  const name = error instanceof Error ? error.name : '';
  if (name === 'NotAllowedError' || name === 'SecurityError' || name === 'PermissionDeniedError') {
    return MatrixCallError.mediaPermissionDenied(kind, error);
  }
  if (
    kind !== 'screen' &&
    (name === 'NotFoundError' || name === 'OverconstrainedError' || name === 'DevicesNotFoundError')
  ) {
    return MatrixCallError.mediaDeviceNotFound(kind, error);
  }
  if (name === 'AbortError' && kind === 'screen') return MatrixCallError.aborted();
  return MatrixCallError.mediaDeviceFailed(kind, error);
}

const emptyDevices: CallDevices = { audioinput: [], videoinput: [], audiooutput: [] };

export interface LocalMediaOptions {
  log: DiagnosticsLog;
  onChange: () => void;
  /** Errors that do not stop anything (a camera that failed while the mic works). */
  onError: (error: MatrixCallError) => void;
  microphoneEnabled?: boolean;
  cameraEnabled?: boolean;
  audioInputId?: string;
  videoInputId?: string;
  audioOutputId?: string;
}

/**
 * The local camera, microphone and screen share, in the lobby and in the call.
 * In the lobby it owns preview tracks; once a LiveKit room is attached, the
 * same tracks are published and the local participant takes over.
 */
export class LocalMedia {
  microphoneEnabled: boolean;
  cameraEnabled: boolean;
  audioInputId: string | undefined;
  videoInputId: string | undefined;
  audioOutputId: string | undefined;
  devices: CallDevices = emptyDevices;
  audioLevel = 0;

  #previewVideo: LocalVideoTrack | undefined;
  #previewAudio: LocalAudioTrack | undefined;
  #participant: LocalParticipant | undefined;
  /** Why the camera or microphone is off against the user's wish, until it works again. */
  readonly #problems = new Map<'camera' | 'microphone', MatrixCallError>();
  #analyser:
    | { track: MediaStreamTrack; calculateVolume: () => number; cleanup: () => Promise<void> }
    | undefined;
  #levelTimer: ReturnType<typeof setInterval> | undefined;
  #previewing = false;
  readonly #onDeviceChange = () => void this.refreshDevices();
  #disposed = false;

  constructor(private readonly options: LocalMediaOptions) {
    this.microphoneEnabled = options.microphoneEnabled ?? true;
    this.cameraEnabled = options.cameraEnabled ?? true;
    this.audioInputId = options.audioInputId;
    this.videoInputId = options.videoInputId;
    this.audioOutputId = options.audioOutputId;
    // Device hot-plug: keep the pickers current and fall back when the selected device goes away.
    navigator.mediaDevices.addEventListener('devicechange', this.#onDeviceChange);
  }

  get state(): LocalMediaState {
    const camera = this.#cameraTrack();
    const microphone = this.#microphoneTrack();
    const screen = this.#participant?.getTrackPublication(Track.Source.ScreenShare);
    return {
      microphoneEnabled: this.microphoneEnabled,
      cameraEnabled: this.cameraEnabled,
      screenShareEnabled: Boolean(screen?.track && !screen.isMuted),
      audioInputId: this.audioInputId,
      videoInputId: this.videoInputId,
      audioOutputId: this.audioOutputId,
      cameraTrack: camera && this.cameraEnabled ? toCallTrack(camera, true, 'camera') : undefined,
      microphoneTrack: microphone ? toCallTrack(microphone, true, 'microphone') : undefined,
      audioLevel: this.microphoneEnabled ? this.audioLevel : 0,
      canSelectAudioOutput: supportsAudioOutputSelection(),
      canShareScreen: typeof navigator.mediaDevices.getDisplayMedia === 'function',
      problem: this.#problems.values().next().value,
    };
  }

  #cameraTrack(): LocalVideoTrack | undefined {
    const published = this.#participant?.getTrackPublication(Track.Source.Camera)?.videoTrack;
    return published ?? this.#previewVideo;
  }

  #microphoneTrack(): LocalAudioTrack | undefined {
    const published = this.#participant?.getTrackPublication(Track.Source.Microphone)?.audioTrack;
    return published ?? this.#previewAudio;
  }

  async refreshDevices(): Promise<void> {
    if (this.#disposed) return;
    let list: MediaDeviceInfo[];
    try {
      list = await navigator.mediaDevices.enumerateDevices();
    } catch (error) {
      this.options.log.warn('media', 'could not list media devices', { error: describe(error) });
      return;
    }
    const pick = (kind: DeviceKind): MediaDeviceChoice[] =>
      list
        .filter((d) => d.kind === kind && d.deviceId !== '')
        .map((d, i) => ({
          deviceId: d.deviceId,
          kind,
          label: d.label || `${kindLabel(kind)} ${i + 1}`,
        }));
    const devices = {
      audioinput: pick('audioinput'),
      videoinput: pick('videoinput'),
      audiooutput: pick('audiooutput'),
    };
    const gone = (id: string | undefined, kind: DeviceKind) =>
      id !== undefined && id !== 'default' && !devices[kind].some((d) => d.deviceId === id);
    const before = this.devices;
    this.devices = devices;
    if (before !== emptyDevices && JSON.stringify(before) !== JSON.stringify(devices)) {
      this.options.log.info('media', 'media devices changed', {
        audioinput: devices.audioinput.length,
        videoinput: devices.videoinput.length,
        audiooutput: devices.audiooutput.length,
      });
    }
    // A selected device was unplugged: go back to the default rather than going silent.
    if (gone(this.audioInputId, 'audioinput'))
      await this.select('audioinput', devices.audioinput[0]?.deviceId);
    if (gone(this.videoInputId, 'videoinput'))
      await this.select('videoinput', devices.videoinput[0]?.deviceId);
    if (gone(this.audioOutputId, 'audiooutput')) this.audioOutputId = undefined;
    this.options.onChange();
  }

  /** Starts camera and microphone (as enabled) without publishing, for the lobby. */
  async startPreview(): Promise<void> {
    this.#previewing = true;
    await Promise.all([this.#ensurePreviewCamera(), this.#ensurePreviewMicrophone()]);
    await this.refreshDevices(); // labels become readable once permission is granted
  }

  /** A device that the browser refused, lacks or cannot start: said in the state, and reported. */
  #trouble(kind: 'camera' | 'microphone', error: unknown): void {
    const problem = mediaError(kind, error);
    this.#problems.set(kind, problem);
    this.options.onError(problem);
  }

  async stopPreview(): Promise<void> {
    this.#previewing = false;
    await this.#releasePreview();
  }

  async #ensurePreviewCamera(): Promise<void> {
    if (!this.cameraEnabled || this.#previewVideo || this.#participant) return;
    try {
      this.#previewVideo = await createLocalVideoTrack({
        ...cameraCapture,
        deviceId: this.videoInputId,
      });
      this.options.log.info('media', 'camera preview started');
      this.#problems.delete('camera');
    } catch (error) {
      this.cameraEnabled = false;
      this.#trouble('camera', error);
    }
    this.options.onChange();
  }

  async #ensurePreviewMicrophone(): Promise<void> {
    if (!this.microphoneEnabled || this.#previewAudio || this.#participant) return;
    try {
      this.#previewAudio = await createLocalAudioTrack({
        ...microphoneCapture,
        deviceId: this.audioInputId,
      });
      this.#startLevelMeter(this.#previewAudio.mediaStreamTrack);
      this.options.log.info('media', 'microphone preview started');
      this.#problems.delete('microphone');
    } catch (error) {
      this.microphoneEnabled = false;
      this.#trouble('microphone', error);
    }
    this.options.onChange();
  }

  async #releasePreview(): Promise<void> {
    this.#stopLevelMeter();
    const tracks = [this.#previewVideo, this.#previewAudio];
    this.#previewVideo = undefined;
    this.#previewAudio = undefined;
    for (const track of tracks) track?.stop();
    await Promise.resolve();
    this.options.onChange();
  }

  /**
   * Publishes the lobby's tracks (or fresh ones) on the joined room. Tracks the
   * user turned off in the lobby stay off.
   */
  async attach(participant: LocalParticipant): Promise<void> {
    this.#participant = participant;
    const video = this.#previewVideo;
    const audio = this.#previewAudio;
    this.#previewVideo = undefined;
    this.#previewAudio = undefined;
    const publish = async (
      kind: 'camera' | 'microphone',
      enabled: boolean,
      track?: LocalVideoTrack | LocalAudioTrack,
    ) => {
      if (!enabled) {
        track?.stop();
        return;
      }
      try {
        if (track) await participant.publishTrack(track);
        else if (kind === 'camera')
          await participant.setCameraEnabled(true, {
            ...cameraCapture,
            deviceId: this.videoInputId,
          });
        else
          await participant.setMicrophoneEnabled(true, {
            ...microphoneCapture,
            deviceId: this.audioInputId,
          });
        this.options.log.info('media', `published ${kind}`);
        this.#problems.delete(kind);
      } catch (error) {
        track?.stop();
        if (kind === 'camera') this.cameraEnabled = false;
        else this.microphoneEnabled = false;
        this.options.log.error('media', `could not publish ${kind}`, { error: describe(error) });
        this.#trouble(kind, error);
      }
    };
    await Promise.all([
      publish('microphone', this.microphoneEnabled, audio),
      publish('camera', this.cameraEnabled, video),
    ]);
    const mic = this.#microphoneTrack();
    if (mic) this.#startLevelMeter(mic.mediaStreamTrack);
    else this.#stopLevelMeter();
    this.options.onChange();
  }

  /** After leaving: forget the room; the lobby preview comes back if it was on. */
  async detach(): Promise<void> {
    this.#participant = undefined;
    this.#stopLevelMeter();
    if (this.#previewing)
      await Promise.all([this.#ensurePreviewCamera(), this.#ensurePreviewMicrophone()]);
    this.options.onChange();
  }

  async setMicrophoneEnabled(enabled: boolean): Promise<void> {
    this.microphoneEnabled = enabled;
    if (this.#participant) {
      try {
        await this.#participant.setMicrophoneEnabled(enabled, {
          ...microphoneCapture,
          deviceId: this.audioInputId,
        });
      } catch (error) {
        this.microphoneEnabled = false;
        this.options.onChange();
        throw mediaError('microphone', error);
      }
      const mic = this.#microphoneTrack();
      if (mic && enabled) this.#startLevelMeter(mic.mediaStreamTrack);
    } else if (enabled) {
      if (this.#previewing) await this.#ensurePreviewMicrophone();
    } else {
      this.#stopLevelMeter();
      this.#previewAudio?.stop();
      this.#previewAudio = undefined;
    }
    this.options.log.info('media', enabled ? 'microphone on' : 'microphone off');
    this.options.onChange();
  }

  async setCameraEnabled(enabled: boolean): Promise<void> {
    this.cameraEnabled = enabled;
    if (this.#participant) {
      try {
        await this.#participant.setCameraEnabled(enabled, {
          ...cameraCapture,
          deviceId: this.videoInputId,
        });
      } catch (error) {
        this.cameraEnabled = false;
        this.options.onChange();
        throw mediaError('camera', error);
      }
    } else if (enabled) {
      if (this.#previewing) await this.#ensurePreviewCamera();
    } else {
      this.#previewVideo?.stop();
      this.#previewVideo = undefined;
    }
    this.options.log.info('media', enabled ? 'camera on' : 'camera off');
    this.options.onChange();
  }

  async setScreenShareEnabled(enabled: boolean): Promise<void> {
    if (!this.#participant)
      throw MatrixCallError.invalidConfig('screen sharing needs a joined call');
    try {
      await this.#participant.setScreenShareEnabled(enabled, {
        audio: true,
        selfBrowserSurface: 'exclude',
      });
      this.options.log.info('media', enabled ? 'screen share started' : 'screen share stopped');
    } catch (error) {
      throw mediaError('screen', error);
    } finally {
      this.options.onChange();
    }
  }

  async select(kind: DeviceKind, deviceId: string | undefined): Promise<void> {
    if (kind === 'audiooutput') {
      this.audioOutputId = deviceId;
      this.options.onChange();
      return;
    }
    if (kind === 'audioinput') this.audioInputId = deviceId;
    else this.videoInputId = deviceId;
    const track = kind === 'audioinput' ? this.#microphoneTrack() : this.#cameraTrack();
    if (track && deviceId) {
      try {
        // The published track keeps its SID; only its source changes.
        await track.restartTrack({
          ...(kind === 'audioinput' ? microphoneCapture : cameraCapture),
          deviceId,
        });
        if (kind === 'audioinput') this.#startLevelMeter(track.mediaStreamTrack);
      } catch (error) {
        throw mediaError(kind === 'audioinput' ? 'microphone' : 'camera', error);
      }
    }
    this.options.log.info('media', `selected ${kind}`);
    this.options.onChange();
  }

  #startLevelMeter(track: MediaStreamTrack): void {
    if (this.#analyser?.track === track) return;
    this.#stopLevelMeter();
    const source = this.#microphoneTrack();
    if (!source) return;
    try {
      const analyser = createAudioAnalyser(source, {
        cloneTrack: true,
        smoothingTimeConstant: 0.6,
      });
      this.#analyser = {
        track,
        calculateVolume: analyser.calculateVolume,
        cleanup: analyser.cleanup,
      };
    } catch (error) {
      this.options.log.warn('media', 'no microphone level meter', { error: describe(error) });
      return;
    }
    this.#levelTimer = setInterval(() => {
      const level = Math.min(1, (this.#analyser?.calculateVolume() ?? 0) * 1.5);
      // Only report changes a meter can show; saves re-rendering on silence.
      if (Math.abs(level - this.audioLevel) > 0.02) {
        this.audioLevel = level;
        this.options.onChange();
      }
    }, 100);
  }

  #stopLevelMeter(): void {
    if (this.#levelTimer !== undefined) clearInterval(this.#levelTimer);
    this.#levelTimer = undefined;
    const analyser = this.#analyser;
    this.#analyser = undefined;
    this.audioLevel = 0;
    void analyser?.cleanup().catch(() => undefined);
  }

  async dispose(): Promise<void> {
    this.#disposed = true;
    navigator.mediaDevices.removeEventListener('devicechange', this.#onDeviceChange);
    this.#participant = undefined;
    await this.#releasePreview();
  }
}

function kindLabel(kind: DeviceKind): string {
  return kind === 'audioinput' ? 'Microphone' : kind === 'videoinput' ? 'Camera' : 'Speaker';
}
