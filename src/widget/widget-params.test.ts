import { assert } from '@open-wc/testing';
import { readWidgetParams } from './widget-params.js';

/** The URL Element Web gives Element Call: widget ID and parent in the query, the rest in the fragment. */
const query = '?widgetId=w1&parentUrl=https%3A%2F%2Fapp.example.org%2F';
const fragment = (extra: Record<string, string> = {}) =>
  `#?${new URLSearchParams({
    confineToRoom: 'true',
    skipLobby: 'false',
    returnToLobby: 'false',
    intent: 'start_call',
    perParticipantE2EE: 'true',
    header: 'none',
    userId: '@alice:example.org',
    deviceId: 'ABCDEF',
    roomId: '!room:example.org',
    baseUrl: 'https://matrix.example.org',
    lang: 'en-US',
    fontScale: '1.25',
    theme: 'dark-high-contrast',
    sendNotificationType: 'notification',
    preload: 'false',
    rageshakeSubmitUrl: 'https://rageshake.example.org',
    ...extra,
  }).toString()}`;

describe('widget parameters', () => {
  it("reads Element Web's URL, the fragment before the query", () => {
    const read = readWidgetParams(query, fragment({ widgetId: 'from-fragment' }));
    assert.isTrue(read.ok);
    assert.deepInclude(read.params, {
      widgetId: 'from-fragment',
      parentUrl: 'https://app.example.org/',
      roomId: '!room:example.org',
      userId: '@alice:example.org',
      deviceId: 'ABCDEF',
      baseUrl: 'https://matrix.example.org',
      intent: 'start_call',
      perParticipantE2EE: true,
      skipLobby: false,
      header: 'none',
      theme: 'dark',
      lang: 'en-US',
      fontScale: 1.25,
      sendNotificationType: 'notification',
    });
  });

  it('takes the defaults of each intent as Element Call does', () => {
    const dm = readWidgetParams(query, fragment({ intent: 'start_call_dm_voice', skipLobby: '' }));
    // An empty flag counts as true, like Element Call's; unset, a DM call skips the lobby.
    assert.isTrue(dm.ok && dm.params.skipLobby);
    const unset = new URLSearchParams(fragment({ intent: 'start_call_dm' }).slice(2));
    unset.delete('skipLobby');
    unset.delete('sendNotificationType');
    const read = readWidgetParams(query, `#?${unset.toString()}`);
    assert.isTrue(read.ok);
    assert.isTrue(read.params.skipLobby);
    assert.equal(read.params.sendNotificationType, 'ring');
  });

  it('names every missing, malformed or unknown parameter', () => {
    const read = readWidgetParams(
      '',
      fragment({
        roomId: '#alias:example.org',
        baseUrl: 'javascript:alert(1)',
        intent: 'start_meeting',
        skipLobby: 'yes',
        fontScale: '40',
        lang: 'en US',
        font: 'x;}body{',
        shinyNewFlag: '1',
      }),
    );
    assert.isFalse(read.ok);
    for (const expected of [
      '"widgetId" is missing',
      '"parentUrl" is missing',
      '"roomId" is not a room ID (!…)',
      '"baseUrl" is not an http(s) URL',
      '"intent" is not one of',
      '"skipLobby" is not true or false',
      '"fontScale" is not a number from 0.5 to 3',
      '"lang" is not a language tag',
      '"font" holds characters no font name has',
      'unknown parameter "shinyNewFlag"',
    ])
      assert.isTrue(
        read.problems.some((p) => p.startsWith(expected)),
        `${expected} in ${JSON.stringify(read.problems)}`,
      );
  });
});
