/**
 * Debian's WebKitGTK (package webkit2gtk-driver): its WebDriver server, `WebKitWebDriver`,
 * starts MiniBrowser in automation mode with mock capture devices. WebKitGTK draws to a
 * display, so it runs on its own Xvfb (package xvfb), and on a PulseAudio null sink.
 *
 * That display has no window manager, so X gives the keyboard focus to the window under the
 * pointer, which sits at the screen's centre: a window resized away from it (to phone width)
 * loses the focus, and the page then has no focus ring and ignores keys. `focusBrowserWindow`
 * gives MiniBrowser's window the focus for good instead (package xdotool), as a desktop's
 * window manager does for the active window.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startSoundServer } from './sound-server.mjs';

export const webkitDriverPath = process.env.WEBKIT_WEBDRIVER_PATH || '/usr/bin/WebKitWebDriver';
export const xdotoolPath = process.env.XDOTOOL_PATH || '/usr/bin/xdotool';
export const miniBrowserPath =
  process.env.WEBKIT_MINIBROWSER_PATH || '/usr/lib/x86_64-linux-gnu/webkit2gtk-4.1/MiniBrowser';

/** WebKitGTK's WebDriver capabilities: MiniBrowser with fake camera and microphone. */
export const webkitCapabilities = {
  browserName: 'MiniBrowser',
  'webkitgtk:browserOptions': {
    binary: miniBrowserPath,
    args: [
      '--automation',
      // Audio may play without a click (Chromium: --autoplay-policy=no-user-gesture-required).
      '--autoplay-policy=allow',
      '--enable-media-stream=true',
      '--enable-mock-capture-devices=true',
      '--enable-webrtc=true',
      '--enable-webaudio=true',
    ],
  },
  // WebKitWebDriver speaks classic WebDriver only.
  'wdio:enforceWebDriverClassic': true,
};

const freePort = () =>
  new Promise((resolve, reject) => {
    const server = createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });

async function until(what, check, ms = 15_000) {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out: ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Runs xdotool on `display`; rejects with its error output if it fails or hangs. */
function xdotool(display, args, ms = 15_000) {
  return new Promise((resolve, reject) => {
    const child = spawn(xdotoolPath, args, {
      env: { ...process.env, DISPLAY: display },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let err = '';
    child.stderr.on('data', (chunk) => (err += chunk));
    const timer = setTimeout(() => child.kill('SIGKILL'), ms);
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(new Error(`xdotool (package xdotool): ${error.message}`));
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve();
      else reject(new Error(`xdotool ${args.join(' ')}: ${signal ?? code} ${err.trim()}`));
    });
  });
}

/**
 * Starts Xvfb, a sound server and WebKitWebDriver; resolves with the driver's port,
 * `focusBrowserWindow()` (once the session's window is open) and `stop()`, which ends all three.
 */
export async function startWebKitDriver() {
  const children = [];
  const dir = mkdtempSync(join(tmpdir(), 'mc-webkit-'));
  const stopAll = async () => {
    for (const child of children.reverse())
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        await new Promise((r) => child.once('exit', r));
      }
    await sound?.stop();
    rmSync(dir, { recursive: true, force: true });
  };
  let sound;
  try {
    // -displayfd: Xvfb picks a free display number and writes it to us.
    const xvfb = spawn(
      'Xvfb',
      ['-displayfd', '3', '-screen', '0', '1920x1200x24', '-nolisten', 'tcp'],
      { stdio: ['ignore', 'ignore', 'ignore', 'pipe'] },
    );
    children.push(xvfb);
    const display = await new Promise((resolve, reject) => {
      let out = '';
      xvfb.stdio[3].on('data', (chunk) => {
        out += chunk;
        if (out.includes('\n')) resolve(`:${out.trim()}`);
      });
      xvfb.once('exit', (code) => reject(new Error(`Xvfb exited (${code})`)));
    });
    sound = await startSoundServer();
    // MiniBrowser's toolbar keeps its window at least ~450 px wide; shrunk, it allows a
    // phone-width (390 px) viewport.
    mkdirSync(join(dir, '.config', 'gtk-3.0'), { recursive: true });
    writeFileSync(
      join(dir, '.config', 'gtk-3.0', 'gtk.css'),
      '* { min-width: 0; min-height: 0; padding: 0; margin: 0; } entry { min-width: 8px; }\n',
    );
    const port = await freePort();
    const env = {
      ...process.env,
      ...sound.env,
      DISPLAY: display,
      HOME: dir,
      XDG_RUNTIME_DIR: dir,
      XDG_CONFIG_HOME: join(dir, '.config'),
      // No accessibility bus or GPU on a headless server.
      NO_AT_BRIDGE: '1',
      WEBKIT_DISABLE_COMPOSITING_MODE: '1',
    };
    const driver = spawn(webkitDriverPath, [`--port=${port}`], { env, stdio: 'ignore' });
    children.push(driver);
    await until('WebKitWebDriver', async () => {
      try {
        return (await fetch(`http://127.0.0.1:${port}/status`)).ok;
      } catch {
        return false;
      }
    });
    // X input focus on MiniBrowser's (only visible) window, waiting until X has moved it there.
    const focusBrowserWindow = () =>
      xdotool(display, [
        'search',
        '--sync',
        '--onlyvisible',
        '--class',
        'MiniBrowser',
        'windowfocus',
        '--sync',
      ]);
    return { port, focusBrowserWindow, stop: stopAll };
  } catch (error) {
    await stopAll();
    throw error;
  }
}

/** Whether WebKitGTK's driver (and xdotool, to focus its window) is installed. */
export const hasWebKit = () =>
  existsSync(webkitDriverPath) && existsSync(miniBrowserPath) && existsSync(xdotoolPath);
