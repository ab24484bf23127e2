import { assert } from '@open-wc/testing';
import { Translator, addFallbackStrings, baseLanguage, loadStrings } from './index.js';
import { enRare } from './en-rare.js';
import { en } from './english.js';

describe('i18n', () => {
  it('fills placeholders and picks plural forms by language', () => {
    const t = new Translator('en');
    assert.equal(t.t('joined', { name: 'Alice' }), 'Alice joined');
    assert.equal(t.count('joinCallOne', 'joinCallOther', 1), 'Join call (1 person)');
    assert.equal(t.count('joinCallOne', 'joinCallOther', 4), 'Join call (4 people)');
  });

  it('maps regional tags to a shipped language, and anything else to English', () => {
    assert.equal(baseLanguage('de-AT'), 'de');
    assert.equal(baseLanguage('DE'), 'de');
    assert.equal(baseLanguage('fr'), 'en');
    assert.equal(baseLanguage(undefined), 'en');
  });

  it('falls back to strings registered later (the rare views bring theirs)', () => {
    const t = new Translator('en', { leave: 'Go' });
    assert.equal(t.t('leave'), 'Go');
    assert.equal(t.t('dismiss'), 'dismiss', 'the key until the string is there');
    addFallbackStrings(enRare);
    assert.equal(t.t('dismiss'), en.dismiss);
    assert.equal(new Translator('en', {}, { dismiss: 'Not now' }).t('dismiss'), 'Not now');
  });

  it('loads German with every key translated', async () => {
    const de = await loadStrings('de');
    assert.sameMembers(Object.keys(de), Object.keys(en));
    for (const key of Object.keys(en) as (keyof typeof en)[]) assert.isNotEmpty(de[key], key);
    const t = new Translator('de', de, { leave: 'Tschüss' });
    assert.equal(t.t('leave'), 'Tschüss');
    assert.equal(t.t('startCall'), 'Anruf starten');
  });
});
