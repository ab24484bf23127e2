import type { MemberReactions } from './call-reactions.js';
import type { MatrixCallError } from './errors.js';
import type { MemberInfo } from './membership.js';
import type { LocalParticipantMedia, ParticipantMedia } from './participant-media.js';
import type { Profile } from './room-profiles.js';
import {
  CallPhase,
  callPhaseLabels,
  type CallDevices,
  type CallInProgress,
  type CallParticipant,
  type CallSnapshot,
  type EncryptionMode,
  type IncomingCallNotification,
  type LocalMediaState,
  type ParticipantEncryptionState,
  type RoomSummary,
  type SessionStatus,
} from './types.js';

/** Everything a snapshot is made of, as the collaborators report it. */
export interface SnapshotInput {
  status: SessionStatus;
  phase: CallPhase;
  phaseSince: number;
  error: MatrixCallError | undefined;
  /** Our user and device, once signed in. */
  self: { userId: string; deviceId: string } | undefined;
  room: RoomSummary | undefined;
  encryption: EncryptionMode;
  members: readonly MemberInfo[];
  profileOf: (userId: string) => Profile;
  encryptionOf: (identity: string) => ParticipantEncryptionState;
  local: LocalMediaState;
  devices: CallDevices;
  /** Our LiveKit side, while connected to our SFU. */
  sfuLocal: LocalParticipantMedia | undefined;
  /** Remote LiveKit participants by identity. */
  sfuRemotes: ReadonlyMap<string, ParticipantMedia>;
  incoming: IncomingCallNotification | undefined;
  homeserverReachable: boolean;
  /** Raised hands and reactions by identity; none without it. */
  reactionsOf?: (identity: string) => MemberReactions;
}

const noReactions = (): MemberReactions => ({ handRaisedAt: undefined, reaction: undefined });

/** Before the room is known, a user is shown by their ID. */
export const noProfile = (userId: string): Profile => ({
  displayName: userId,
  avatarUrl: undefined,
});

/** Builds the immutable state the UI renders, from the collaborators' states. Pure. */
export function buildSnapshot(input: SnapshotInput): CallSnapshot {
  const { self, phase } = input;
  const user = self ? { ...self, ...input.profileOf(self.userId) } : undefined;
  const showParticipants =
    phase === CallPhase.Connected ||
    phase === CallPhase.Reconnecting ||
    phase === CallPhase.Joining;
  return {
    status: input.status,
    phase,
    phaseLabel: callPhaseLabels[phase],
    phaseSince: input.phaseSince,
    user,
    room: input.room,
    encryption: input.encryption,
    participants: showParticipants ? buildParticipants(input) : [],
    local: input.local,
    devices: input.devices,
    callInProgress: buildCallInProgress(input),
    incomingNotification: input.incoming,
    homeserverReachable: input.homeserverReachable,
    error: input.error,
  };
}

function buildCallInProgress({ members, self, profileOf }: SnapshotInput): CallInProgress {
  const others = members.filter(
    (m) => !(self && m.userId === self.userId && m.deviceId === self.deviceId),
  );
  return {
    active: members.length > 0,
    members: others.map((m) => ({
      userId: m.userId,
      deviceId: m.deviceId,
      ...profileOf(m.userId),
    })),
    userCount: new Set(members.map((m) => m.userId)).size,
  };
}

/** Ourselves first, then every member with a valid membership, whether or not their media is in. */
/** Nobody joins one call from more devices than this; more is spam. */
export const MAX_DEVICES_PER_USER = 3;

/**
 * The remote members to give a tile: per user, at most `MAX_DEVICES_PER_USER`
 * devices, those with media on an SFU first, then the oldest. Anyone may
 * write made-up memberships for their own user; they push nobody else away.
 */
function tilesWorthShowing(
  members: readonly MemberInfo[],
  ownIdentity: string,
  sfuRemotes: ReadonlyMap<string, unknown>,
): Set<string> {
  const byUser = new Map<string, MemberInfo[]>();
  for (const m of members) {
    if (m.identity === ownIdentity) continue;
    byUser.set(m.userId, [...(byUser.get(m.userId) ?? []), m]);
  }
  const shown = new Set<string>();
  for (const devices of byUser.values()) {
    const ranked = [...devices].sort(
      (a, b) =>
        Number(sfuRemotes.has(b.identity)) - Number(sfuRemotes.has(a.identity)) ||
        a.createdTs - b.createdTs,
    );
    for (const m of ranked.slice(0, MAX_DEVICES_PER_USER)) shown.add(m.identity);
  }
  return shown;
}

function buildParticipants(input: SnapshotInput): CallParticipant[] {
  const { self, sfuLocal, local, members, profileOf } = input;
  if (!self || !sfuLocal) return [];
  const ownIdentity = `${self.userId}:${self.deviceId}`;
  const reactionsOf = input.reactionsOf ?? noReactions;
  const out: CallParticipant[] = [
    {
      id: ownIdentity,
      userId: self.userId,
      deviceId: self.deviceId,
      ...profileOf(self.userId),
      isLocal: true,
      speaking: sfuLocal.speaking,
      audioLevel: local.audioLevel,
      microphoneEnabled: local.microphoneEnabled,
      cameraEnabled: local.cameraEnabled,
      screenShareEnabled: local.screenShareEnabled,
      connectionQuality: sfuLocal.connectionQuality,
      encryption: input.encryption === 'none' ? 'none' : 'ok',
      cameraTrack: local.cameraTrack,
      microphoneTrack: undefined, // never play ourselves
      screenShareTrack: sfuLocal.screenShareTrack,
      screenShareAudioTrack: undefined,
      joinedAt: members.find((m) => m.identity === ownIdentity)?.createdTs ?? input.phaseSince,
      ...reactionsOf(ownIdentity),
    },
  ];
  const shown = tilesWorthShowing(members, ownIdentity, input.sfuRemotes);
  for (const member of members) {
    if (!shown.has(member.identity)) continue;
    const media = input.sfuRemotes.get(member.identity);
    out.push({
      id: member.identity,
      userId: member.userId,
      deviceId: member.deviceId,
      ...profileOf(member.userId),
      isLocal: false,
      speaking: media?.speaking ?? false,
      audioLevel: media?.audioLevel ?? 0,
      microphoneEnabled: media?.microphoneEnabled ?? false,
      cameraEnabled: media?.cameraEnabled ?? false,
      screenShareEnabled: media?.screenShareEnabled ?? false,
      connectionQuality: media?.connectionQuality ?? 'unknown',
      encryption:
        member.legacy && input.encryption !== 'none'
          ? 'unsupported'
          : input.encryptionOf(member.identity),
      cameraTrack: media?.cameraTrack,
      microphoneTrack: media?.microphoneTrack,
      screenShareTrack: media?.screenShareTrack,
      screenShareAudioTrack: media?.screenShareAudioTrack,
      joinedAt: member.createdTs,
      ...reactionsOf(member.identity),
    });
  }
  return out;
}
