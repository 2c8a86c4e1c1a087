// Turns results into the markdown the README quotes and the JSON kept under test/bench/results/.
import { mkdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ContenderSummary } from './measure.ts';
import { ratio } from './stats.ts';

export const resultsDir = fileURLToPath(new URL('./results/', import.meta.url));

export interface MachineInfo {
  cpu: string;
  cores: number;
  memoryGiB: number;
  node: string;
  platform: string;
  /** 1-minute load average at start: a busy machine makes every number provisional. */
  loadAverage1m: number;
}

export function describeMachine(): MachineInfo {
  return {
    cpu: os.cpus()[0]?.model.trim() ?? 'unknown',
    cores: os.availableParallelism(),
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    node: process.version,
    platform: `${os.platform()} ${os.release()}`,
    loadAverage1m: os.loadavg()[0] ?? 0,
  };
}

export function table(header: readonly string[], rows: ReadonlyArray<ReadonlyArray<string>>): string {
  const line = (cells: ReadonlyArray<string>) => `| ${cells.join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n');
}

export const ms = (value: number) => value.toFixed(value < 10 ? 2 : 1);
export const perSecond = (value: number) => value.toFixed(1);
export const times = (value: number | null) => (value === null ? 'n/a' : `${value.toFixed(2)}×`);

/** One row per contender: throughput (median, range) and p50/p99 of each leg. */
export function contenderTable(summaries: readonly ContenderSummary[]): string {
  return table(
    ['contender', 'concurrency', 'cycles/round', 'cycles/s (median)', 'cycles/s (min–max)', 'start p50', 'start p99', 'resume p50', 'resume p99'],
    summaries.map((s) => [
      s.contender,
      String(s.concurrency),
      String(Math.round(s.cyclesPerRound)),
      perSecond(s.throughput.median),
      `${perSecond(s.throughput.min)}–${perSecond(s.throughput.max)}`,
      `${ms(s.start.p50)} ms`,
      `${ms(s.start.p99)} ms`,
      `${ms(s.resume.p50)} ms`,
      `${ms(s.resume.p99)} ms`,
    ]),
  );
}

/** CPU ms per cycle of each probed process, per contender; empty string when nothing was probed. */
export function cpuTable(summaries: readonly ContenderSummary[]): string {
  const names = [...new Set(summaries.flatMap((s) => Object.keys(s.cpuMsPerCycle)))];
  if (names.length === 0) return '';
  return table(
    ['contender', 'concurrency', ...names.map((name) => `${name} CPU ms/cycle`)],
    summaries.map((s) => [s.contender, String(s.concurrency), ...names.map((name) => (s.cpuMsPerCycle[name] === undefined ? 'n/a' : ms(s.cpuMsPerCycle[name])))]),
  );
}

/** How `subject` compares with `baseline`: throughput ratio (higher is better), latency ratios (lower is better). */
export function comparison(subject: ContenderSummary, baseline: ContenderSummary) {
  return {
    subject: subject.contender,
    baseline: baseline.contender,
    concurrency: subject.concurrency,
    throughput: ratio(subject.throughput.median, baseline.throughput.median),
    startP50: ratio(subject.start.p50, baseline.start.p50),
    resumeP50: ratio(subject.resume.p50, baseline.resume.p50),
    startP99: ratio(subject.start.p99, baseline.start.p99),
    resumeP99: ratio(subject.resume.p99, baseline.resume.p99),
  };
}
export type Comparison = ReturnType<typeof comparison>;

export function comparisonTable(comparisons: readonly Comparison[]): string {
  return table(
    ['subject ÷ baseline', 'concurrency', 'throughput', 'start p50', 'resume p50', 'start p99', 'resume p99'],
    comparisons.map((c) => [
      `${c.subject} ÷ ${c.baseline}`,
      String(c.concurrency),
      times(c.throughput),
      times(c.startP50),
      times(c.resumeP50),
      times(c.startP99),
      times(c.resumeP99),
    ]),
  );
}

export async function writeResults(name: string, data: unknown): Promise<string> {
  await mkdir(resultsDir, { recursive: true });
  const file = path.join(resultsDir, `${name}-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  await writeFile(file, `${JSON.stringify(data, null, 2)}\n`);
  return file;
}
