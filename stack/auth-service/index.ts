export { createAuthService, type AuthService } from './server.js';
export type { JobState } from './delayed-leave.js';
export { configFromEnv, parseOverrides, ConfigError, type AuthServiceConfig } from './config.js';
export {
  DEFAULT_SLOT_ID,
  goJsonMarshalStrings,
  hashStrings,
  legacyLiveKitIdentity,
  liveKitIdentity,
  liveKitRoomAlias,
} from './hashing.js';
