import { describe, expect, it } from 'vitest';
import { decodePathText } from './format';

describe('decodePathText', () => {
  it('names how a decode point was timed, and nothing for points without it', () => {
    expect(decodePathText('replay')?.label).toBe('replayed step');
    expect(decodePathText('step')?.label).toBe('recorded step');
    expect(decodePathText('replay')?.explanation).toMatch(/captured once and replayed/);
    expect(decodePathText(undefined)).toBeUndefined();
    expect(decodePathText('<img>')).toBeUndefined(); // from a hand-edited JSON file
  });
});
