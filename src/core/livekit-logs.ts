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
    // Typed `string`, but livekit-client passes Errors and objects too.
    setLogExtension((level, message: unknown, context) => {
      // Anything below warn is too chatty for diagnostics.
      if (level < LogLevel.warn) return;
      const fields = plainFields(context);
      for (const target of targets)
        target.log('livekit', level >= LogLevel.error ? 'error' : 'warn', message, fields);
    });
  }
  return () => targets.delete(log);
}

/** The context's plain values (room names, reasons, errors), not the objects it drags along. */
export function plainFields(context: unknown): Record<string, unknown> | undefined {
  if (!context || typeof context !== 'object') return undefined;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(context)) {
    const plain = value === null || ['string', 'number', 'boolean'].includes(typeof value);
    if (plain || value instanceof Error) out[key] = value;
  }
  return Object.keys(out).length > 0 ? out : undefined;
}
