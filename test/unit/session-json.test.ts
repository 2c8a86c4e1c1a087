import { describe, expect, it } from 'vitest';
import { storableJson } from '../../src/store/sessions.ts';

describe('storableJson', () => {
  it('replaces U+0000 and unpaired surrogates with U+FFFD, in keys and values at any depth', () => {
    const text = storableJson({ 'k\u0000': ['a\u0000b', { deep: 'x\ud800y', tail: '\udc00' }] });
    expect(JSON.parse(text!)).toEqual({ 'k\ufffd': ['a\ufffdb', { deep: 'x\ufffdy', tail: '\ufffd' }] });
  });

  it('leaves escaped backslashes, real pairs and ordinary text as they are', () => {
    const value = { path: 'C:\\u0000\\dir', emoji: '😀', plain: 'héllo' };
    expect(JSON.parse(storableJson(value)!)).toEqual(value);
    expect(JSON.parse(storableJson('\\\u0000')!)).toBe('\\\ufffd');
  });

  it('stores null for nothing', () => {
    expect(storableJson(undefined)).toBeNull();
    expect(storableJson(null)).toBeNull();
  });
});
