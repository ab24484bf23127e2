/**
 * Config files for Synapse and LiveKit. Both are written as JSON, which both YAML
 * parsers accept, so no YAML library is needed.
 */
import { LIVEKIT_API_KEY, LIVEKIT_API_SECRET, REGISTRATION_SHARED_SECRET } from './config.js';

export interface SynapseConfigInput {
  port: number;
  serverName: string;
  /** What clients are told to use (`public_baseurl`, .well-known); default the client listener. */
  publicBaseUrl?: string;
  /** A TLS federation listener (federated stacks only). */
  federation?: SynapseFederationInput;
  /** Directory for the database, media, signing key and configs. */
  dir: string;
  /** Advertised MatrixRTC auth service URL; undefined = advertise no transport. */
  authServiceUrl: string | undefined;
  logConfigPath: string;
}

export interface SynapseFederationInput {
  /** The port in the server name: the other homeserver connects here over TLS. */
  port: number;
  certPath: string;
  keyPath: string;
  /** The local CA that signed every federation certificate, trusted instead of the system's. */
  caPath: string;
}

const relaxed = { per_second: 10000, burst_count: 10000 };

export function synapseConfig(i: SynapseConfigInput): Record<string, unknown> {
  const transports = i.authServiceUrl
    ? [{ type: 'livekit', livekit_service_url: i.authServiceUrl }]
    : undefined;
  return {
    // Explicit port so that clients find /.well-known/matrix/client over plain http on
    // loopback (http://localhost:<port>/.well-known/matrix/client).
    server_name: i.serverName,
    public_baseurl: `${(i.publicBaseUrl ?? `http://127.0.0.1:${i.port}`).replace(/\/+$/, '')}/`,
    report_stats: false,
    listeners: [
      {
        port: i.port,
        bind_addresses: ['127.0.0.1'],
        type: 'http',
        tls: false,
        x_forwarded: false,
        // openid => /_matrix/federation/v1/openid/userinfo, used by the auth service.
        resources: [{ names: ['client', 'openid'], compress: false }],
      },
      ...(i.federation
        ? [
            {
              port: i.federation.port,
              bind_addresses: ['127.0.0.1'],
              type: 'http',
              tls: true,
              x_forwarded: false,
              // federation includes the openid userinfo endpoint the auth services use.
              resources: [{ names: ['federation', 'keys'], compress: false }],
            },
          ]
        : []),
    ],
    ...(i.federation
      ? {
          tls_certificate_path: i.federation.certPath,
          tls_private_key_path: i.federation.keyPath,
          federation_verify_certificates: true,
          federation_custom_ca_list: [i.federation.caPath],
          // Synapse refuses to contact loopback addresses by default.
          ip_range_whitelist: ['127.0.0.0/8'],
        }
      : {}),
    database: { name: 'sqlite3', args: { database: `${i.dir}/homeserver.db` } },
    log_config: i.logConfigPath,
    media_store_path: `${i.dir}/media`,
    signing_key_path: `${i.dir}/signing.key`,
    trusted_key_servers: [],
    suppress_key_server_warning: true,
    // Local-only secrets (this homeserver listens on 127.0.0.1 only).
    registration_shared_secret: REGISTRATION_SHARED_SECRET,
    macaroon_secret_key: 'test-only-macaroon-secret',
    form_secret: 'test-only-form-secret',
    enable_registration: true,
    enable_registration_without_verification: true,
    experimental_features: {
      msc4143_enabled: true, // GET /_matrix/client/unstable/org.matrix.msc4143/rtc/transports
      msc4222_enabled: true, // sync v2 state_after
      msc4354_enabled: true, // sticky events (m.rtc.member)
    },
    max_event_delay_duration: '24h', // MSC4140 delayed events
    ...(transports
      ? {
          matrix_rtc: { transports },
          extra_well_known_client_content: { 'org.matrix.msc4143.rtc_foci': transports },
        }
      : {}),
    rc_message: relaxed,
    rc_delayed_event_mgmt: relaxed,
    rc_registration: relaxed,
    rc_login: { address: relaxed, account: relaxed, failed_attempts: relaxed },
    rc_joins: { local: relaxed, remote: relaxed },
    rc_joins_per_room: relaxed,
    rc_invites: { per_room: relaxed, per_user: relaxed, per_issuer: relaxed },
    rc_room_creation: relaxed,
    rc_key_requests: relaxed,
    rc_media_create: relaxed,
    rc_presence: { per_user: relaxed },
    background_updates: { min_batch_size: 100000, sleep_duration_ms: 100000 },
  };
}

/** Python logging config: INFO to stderr (which the stack redirects to the log file). */
export function synapseLogConfig(): Record<string, unknown> {
  return {
    version: 1,
    formatters: {
      precise: {
        format: '%(asctime)s - %(name)s - %(lineno)d - %(levelname)s - %(request)s - %(message)s',
      },
    },
    handlers: {
      console: { class: 'logging.StreamHandler', formatter: 'precise', stream: 'ext://sys.stderr' },
    },
    loggers: { 'synapse.storage.SQL': { level: 'WARNING' } },
    root: { level: 'INFO', handlers: ['console'] },
    disable_existing_loggers: false,
  };
}

export interface LivekitConfigInput {
  port: number;
  tcpPort: number;
  udpPort: number;
  /** Where LiveKit posts its webhooks (signed with the API key): the auth service. */
  webhookUrl?: string;
}

export function livekitConfig(i: LivekitConfigInput): Record<string, unknown> {
  return {
    port: i.port,
    bind_addresses: ['127.0.0.1'],
    keys: { [LIVEKIT_API_KEY]: LIVEKIT_API_SECRET },
    logging: { level: 'info', pion_level: 'error' },
    rtc: {
      tcp_port: i.tcpPort,
      udp_port: i.udpPort,
      use_external_ip: false, // true would STUN to the internet at start-up and fail offline
      node_ip: '127.0.0.1', // explicit: the SFU adds no STUN servers of its own
      enable_loopback_candidate: true,
      interfaces: { includes: ['lo'] },
      // What clients are told. Empty would mean Google's STUN servers; nothing listens
      // here, so clients' STUN checks fail locally and at once.
      stun_servers: ['127.0.0.1:3478'],
    },
    turn: { enabled: false },
    // The auth service creates rooms for full-access users (like lk-jwt-service);
    // everyone else can only join rooms that exist.
    room: { auto_create: false },
    // participant_joined/left for delegated delayed leave events (like lk-jwt-service's).
    ...(i.webhookUrl ? { webhook: { api_key: LIVEKIT_API_KEY, urls: [i.webhookUrl] } } : {}),
  };
}
