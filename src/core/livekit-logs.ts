import { LogLevel, setLogExtension, setLogLevel } from 'livekit-client';
import type { DiagnosticsLog } from './diagnostics.js';

/** Diagnostics logs of live sessions; livekit-client has one global logger. */
const targets = new Set<DiagnosticsLog>();
let routed = false;

/**
 * Sends livekit-client's own logging through the redacting diagnostics log
 * instead of the console. Returns the undo for this log.
 */
export function routeLivekitLogs(log: DiagnosticsLog): () => void {
  targets.add(log);
  if (!routed) {
    routed = true;
    setLogLevel('warn');
    setLogExtension((level, message) => {
      // Anything below warn is too chatty for diagnostics.
      if (level < LogLevel.warn) return;
      for (const target of targets)
        target.log('livekit', level >= LogLevel.error ? 'error' : 'warn', message);
    });
  }
  return () => targets.delete(log);
}
