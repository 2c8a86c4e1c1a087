// `npm run bench`: builds every comparison inside one run on this machine, interleaving the
// contenders so machine noise cancels, and prints a markdown report (JSON in test/bench/results/).
//
//   npm run bench                          all suites, quotable sizes (≥5 rounds each)
//   npm run bench -- --quick               smoke sizes, 2 rounds: checks the harness, not for quoting
//   npm run bench -- --only=peers,facade   some suites (floor, facade, throughput, readmodel, webhooks, scale, peers)
//   npm run bench -- --repeats=7           more rounds
// The same options as environment variables: BENCH_QUICK=1, BENCH_ONLY=…, BENCH_REPEATS=….
import os from 'node:os';
import { parseArgs } from 'node:util';
import { describeMachine, writeResults } from './report.ts';
import type { BenchOptions, Suite, SuiteReport } from './suite.ts';
import { facadeSuite } from './suites/facade.ts';
import { floorSuite } from './suites/floor.ts';
import { peersSuite } from './suites/peers.ts';
import { readModelSuite } from './suites/readmodel.ts';
import { scaleSuite } from './suites/scale.ts';
import { throughputSuite } from './suites/throughput.ts';
import { webhooksSuite } from './suites/webhooks.ts';

const suites: Suite[] = [floorSuite, facadeSuite, throughputSuite, readModelSuite, webhooksSuite, scaleSuite, peersSuite];

function parseOptions(argv: string[]): { quick: boolean; repeats: number; only: Suite[] } {
  const { values } = parseArgs({
    args: argv,
    options: {
      quick: { type: 'boolean', default: false },
      only: { type: 'string' },
      repeats: { type: 'string' },
    },
    strict: true,
  });
  const quick = values.quick || ['1', 'true', 'yes'].includes(process.env.BENCH_QUICK ?? '');
  const repeats = Number(values.repeats ?? process.env.BENCH_REPEATS ?? (quick ? 2 : 5));
  if (!Number.isInteger(repeats) || repeats < 1) throw new Error(`--repeats must be a whole number ≥ 1, got ${values.repeats ?? process.env.BENCH_REPEATS}`);
  const onlyNames = (values.only ?? process.env.BENCH_ONLY ?? '').split(',').map((name) => name.trim()).filter(Boolean);
  const unknown = onlyNames.filter((name) => !suites.some((suite) => suite.name === name));
  if (unknown.length > 0) throw new Error(`unknown suite(s) ${unknown.join(', ')}; known: ${suites.map((s) => s.name).join(', ')}`);
  const only = onlyNames.length > 0 ? suites.filter((suite) => onlyNames.includes(suite.name)) : suites;
  return { quick, repeats, only };
}

async function main(): Promise<number> {
  const { quick, repeats, only } = parseOptions(process.argv.slice(2));
  const machine = describeMachine();
  const began = Date.now();
  // Progress goes to stderr so stdout is the report alone.
  const options: BenchOptions = { quick, repeats, log: (line) => console.error(line) };
  const command = `npm run bench${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`;
  console.error(`bench: ${only.map((s) => s.name).join(', ')}; ${repeats} rounds per configuration${quick ? ' (quick: smoke sizes)' : ''}`);

  const reports: Array<SuiteReport & { seconds: number; loadAverage1mAtEnd: number }> = [];
  const failures: Array<{ suite: string; error: string }> = [];
  for (const suite of only) {
    console.error(`\n== ${suite.name}`);
    const suiteBegan = Date.now();
    try {
      const report = await suite.run(options);
      reports.push({ ...report, seconds: (Date.now() - suiteBegan) / 1000, loadAverage1mAtEnd: os.loadavg()[0] ?? 0 });
    } catch (error) {
      const message = error instanceof Error ? (error.stack ?? error.message) : String(error);
      console.error(`${suite.name} failed: ${message}`);
      failures.push({ suite: suite.name, error: message });
    }
  }
  const elapsedS = (Date.now() - began) / 1000;

  const lines = [
    `# Baton benchmark${quick ? ' (quick smoke run: not for quoting)' : ''}`,
    '',
    `- Machine: ${machine.cpu}, ${machine.cores} cores, ${machine.memoryGiB} GiB, ${machine.platform}, Node ${machine.node}`,
    `- Load average (1 min) at start: ${machine.loadAverage1m.toFixed(2)}`,
    `- Command: \`${command}\`; ${repeats} interleaved rounds per configuration, medians over rounds; took ${elapsedS.toFixed(0)} s`,
  ];
  for (const report of reports) {
    lines.push('', `## ${report.title}`, '', report.markdown, '', `_${report.seconds.toFixed(0)} s; load average (1 min) at its end: ${report.loadAverage1mAtEnd.toFixed(2)}_`);
    if (report.missing.length > 0) lines.push('', 'Not measured:', ...report.missing.map((m) => `- ${m}`));
  }
  for (const failure of failures) lines.push('', `## ${failure.suite}: FAILED`, '', '```', failure.error, '```');
  console.log(lines.join('\n'));

  const file = await writeResults('bench', { machine, command, quick, repeats, elapsedS, reports, failures });
  console.error(`\nresults: ${file}`);
  return failures.length > 0 ? 1 : 0;
}

process.exitCode = await main();
