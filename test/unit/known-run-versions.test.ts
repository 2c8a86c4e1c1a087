import { describe, expect, it } from 'vitest';
import { KnownRunVersions } from '../../src/temporal/known-run-versions.ts';

describe('KnownRunVersions', () => {
  it('holds a version once added, and every older one, but not a newer one', () => {
    const known = new KnownRunVersions(10);
    expect(known.holds('run-a', 1)).toBe(false);
    known.add('run-a', 3);
    expect([known.holds('run-a', 2), known.holds('run-a', 3), known.holds('run-a', 4)]).toEqual([true, true, false]);
    known.add('run-a', 2);
    expect(known.holds('run-a', 3)).toBe(true);
  });

  it('forgets the least recently written run first once over capacity', () => {
    const known = new KnownRunVersions(2);
    known.add('run-a', 1);
    known.add('run-b', 1);
    known.add('run-a', 2);
    known.add('run-c', 1);
    expect([known.holds('run-a', 2), known.holds('run-b', 1), known.holds('run-c', 1)]).toEqual([true, false, true]);
  });
});
