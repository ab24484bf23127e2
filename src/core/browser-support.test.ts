// What each browser CI runs offers for encrypted calls (README, "Browser support").
import { assert } from '@open-wc/testing';
import { isE2EESupported } from 'livekit-client';

const ua = navigator.userAgent;
const webkitGtk = /X11.*Version\/[\d.]+ Safari\//.test(ua);
const firefox = ua.includes('Firefox/');

describe('browser support', () => {
  it('has the encoded transforms E2EE needs, except Debian’s WebKitGTK, built without WebRTC', () => {
    const g = globalThis as { RTCPeerConnection?: unknown; RTCRtpScriptTransform?: unknown };
    if (webkitGtk) {
      assert.isUndefined(g.RTCPeerConnection, 'no WebRTC at all');
      assert.isFalse(isE2EESupported(), 'so a call is refused with e2ee-unsupported');
      return;
    }
    assert.isTrue(isE2EESupported());
    // Firefox encrypts in RTCRtpScriptTransform; Chromium has insertable streams.
    if (firefox) assert.isFunction(g.RTCRtpScriptTransform);
    else
      assert.isFunction(
        (RTCRtpSender.prototype as { createEncodedStreams?: unknown }).createEncodedStreams,
      );
  });
});
