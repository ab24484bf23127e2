/**
 * A PulseAudio server with only a null sink, for Firefox and WebKitGTK: without an audio
 * output they never start an AudioContext (it stays "suspended"), so microphone meters and
 * remote audio would not run at all. Chromium needs none. Each caller gets its own server in
 * a temporary runtime directory; `stop()` ends it.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const pulseaudioPath = process.env.PULSEAUDIO_PATH || '/usr/bin/pulseaudio';

/** Starts the server; resolves with the env a browser needs to use it, and `stop()`. */
export async function startSoundServer() {
  const dir = mkdtempSync(join(tmpdir(), 'mc-pulse-'));
  const env = { ...process.env, XDG_RUNTIME_DIR: dir, HOME: dir };
  const args = [
    '--daemonize=no',
    '--exit-idle-time=-1',
    '--disable-shm=yes',
    '-n', // no default.pa: only the modules below
    '--load=module-null-sink sink_name=silence',
    '--load=module-native-protocol-unix',
    '--log-target=stderr',
  ];
  const child = spawn(pulseaudioPath, args, { env, stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  child.stderr.on('data', (chunk) => (log = (log + chunk).slice(-4000)));
  const socket = join(dir, 'pulse', 'native');
  const deadline = Date.now() + 10_000;
  while (!existsSync(socket)) {
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
      throw new Error(`PulseAudio did not start: ${log.trim().split('\n').slice(-3).join(' / ')}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    env: { PULSE_SERVER: `unix:${socket}` },
    async stop() {
      if (child.exitCode === null) {
        child.kill('SIGTERM');
        await new Promise((r) => child.once('exit', r));
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Whether PulseAudio is installed (CI installs it with the browsers). */
export const hasSoundServer = () =>
  existsSync(pulseaudioPath) && spawnSync(pulseaudioPath, ['--version']).status === 0;
