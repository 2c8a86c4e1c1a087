import { existsSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { configVariables } from '../../src/config.ts';
import { fencedBlocks, readmePath, readReadme, tourBlocks } from '../fixtures/readme-blocks.ts';

// What the README promises a user that can be checked without running Baton; the tour itself is
// run by test/integration/readme-tour.test.ts.

const readme = readReadme();
const root = path.dirname(readmePath);

/** The text of one `## ` section, up to the next one. */
function section(title: string): string {
  const start = readme.indexOf(`\n## ${title}\n`);
  expect(start, `README.md has a "## ${title}" section`).toBeGreaterThan(-1);
  const end = readme.indexOf('\n## ', start + 1);
  return readme.slice(start, end === -1 ? undefined : end);
}

describe('README.md', () => {
  it('documents every environment variable Baton reads in its configuration table', () => {
    const table = section('Configuration');
    const missing = configVariables.filter((variable) => !table.includes(`| \`${variable}\``) && !table.includes(`, \`${variable}\``));
    expect(missing).toEqual([]);
  });

  it('has a tour of shell blocks, and every command against a running Baton is in it (where a test runs it)', () => {
    expect(tourBlocks(readme).length).toBeGreaterThanOrEqual(5);
    const untested = fencedBlocks(readme).filter((block) => !block.inTour && ['sh', 'bash', 'shell', 'console'].includes(block.lang) && /\bcurl\b|localhost:3000|\bbaton runs\b/.test(block.code));
    expect(untested.map((block) => `line ${block.line}: ${block.code.split('\n')[0]}`)).toEqual([]);
  });

  it('names only files a checkout has', () => {
    const named = [
      ...[...readme.matchAll(/`((?:src|api|test|workers|\.ci)\/[^`\s]+)`/g)].map((match) => match[1]!),
      ...[...readme.matchAll(/\]\((?!https?:|#|mailto:)([^)\s]+)\)/g)].map((match) => match[1]!),
    ].filter((name) => !/[*<>…]|NNNN/.test(name));
    expect(named.length).toBeGreaterThan(10);
    // Results are written by the bench itself (and kept out of git).
    const missing = [...new Set(named)].filter((name) => name !== 'test/bench/results/' && !existsSync(path.join(root, name)));
    expect(missing).toEqual([]);
  });

  it('refers to nothing a user of the repository does not have', () => {
    expect(readme).not.toMatch(/DESIGN\.md|STYLE\.md|(^|\s)#\d+\b/m);
  });
});
