/**
 * Debian's Firefox ESR, driven over WebDriver BiDi by puppeteer-core (no geckodriver, no
 * browser download), with the prefs that stand in for Chromium's flags in ./chromium.mjs.
 */
export const firefoxPath = process.env.FIREFOX_PATH || '/usr/bin/firefox-esr';

export const firefoxPrefs = {
  // Fake camera and microphone, no permission prompt (Chromium: --use-fake-*-for-media-stream).
  'media.navigator.streams.fake': true,
  'media.navigator.permission.disabled': true,
  // ICE over 127.0.0.1 and plain host candidates (Chromium: --allow-loopback-in-peer-connection,
  // --disable-features=WebRtcHideLocalIpsWithMdns).
  'media.peerconnection.ice.loopback': true,
  'media.peerconnection.ice.obfuscate_host_addresses': false,
  // Audio may play without a click (Chromium: --autoplay-policy=no-user-gesture-required).
  'media.autoplay.default': 0,
  'media.autoplay.blocking_policy': 0,
  // Silence (Chromium: --mute-audio).
  'media.volume_scale': '0.0',
  // Offline hygiene: no background connections.
  'app.update.enabled': false,
  'browser.safebrowsing.malware.enabled': false,
  'browser.safebrowsing.phishing.enabled': false,
  'network.captive-portal-service.enabled': false,
  'network.connectivity-service.enabled': false,
  'toolkit.telemetry.enabled': false,
};

/** puppeteer-core launch options for that Firefox (headless unless told). */
export function firefoxLaunchOptions(extraPrefs = {}, headless = true) {
  return {
    browser: 'firefox',
    executablePath: firefoxPath,
    headless,
    extraPrefsFirefox: { ...firefoxPrefs, ...extraPrefs },
  };
}
