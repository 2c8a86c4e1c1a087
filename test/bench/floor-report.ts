// The floor suite's tables: each Baton deployment as a ratio to temporal-floor, with the targets
// (throughput ≥ 0.80×, each leg's p50 ≤ 1.25×, total CPU per cycle ≤ 1.3×) stated as met or missed.
import type { BurstResult, WaveResult } from './burst.ts';
import type { ContenderSummary } from './measure.ts';
import { ms, table, times } from './report.ts';
import { ratio } from './stats.ts';

export const floorTargets = { throughput: 0.8, legP50: 1.25, cpu: 1.3 } as const;

/** Keys of the CPU probe: the processes of a contender, and the sums taken in the same samples. */
export const cpuKeys = {
  devServer: 'dev server',
  worker: 'worker',
  api: 'API',
  /** `baton start`: worker and API in one process. */
  workerAndApi: 'worker+API',
  client: 'client',
  postgres: 'PostgreSQL backends',
  /** Dev server, the engine's processes and the client. */
  total: 'total',
  totalWithPostgres: 'total with PostgreSQL backends',
} as const;

const at = (value: number | undefined) => (value === undefined ? '—' : ms(value));

const verdict = (value: number | null, target: number, atLeast: boolean) =>
  value === null ? 'n/a' : `${times(value)} ${(atLeast ? value >= target : value <= target) ? 'met' : 'missed'}`;

/** CPU ms per cycle of every process, per contender and concurrency. */
export function floorCpuTable(summaries: readonly ContenderSummary[]): string {
  return table(
    ['contender', 'concurrency', 'dev server', 'worker', 'API', 'client (bench process)', 'total', 'PostgreSQL backends', 'total with PostgreSQL backends'],
    summaries.map((s) => {
      const cpu = s.cpuMsPerCycle;
      const embedded = cpu[cpuKeys.workerAndApi];
      return [
        s.contender,
        String(s.concurrency),
        at(cpu[cpuKeys.devServer]),
        embedded === undefined ? at(cpu[cpuKeys.worker]) : `${ms(embedded)} (worker+API, one process)`,
        embedded === undefined ? at(cpu[cpuKeys.api]) : 'in worker',
        at(cpu[cpuKeys.client]),
        at(cpu[cpuKeys.total]),
        at(cpu[cpuKeys.postgres]),
        at(cpu[cpuKeys.totalWithPostgres] ?? cpu[cpuKeys.total]),
      ];
    }),
  );
}

export interface FloorVerdict {
  subject: string;
  concurrency: number;
  throughput: number | null;
  startP50: number | null;
  resumeP50: number | null;
  cpuTotal: number | null;
  cpuTotalWithPostgres: number | null;
  cpu: { devServer: number | null; worker: number | null; client: number | null; apiMs: number | null };
  met: { throughput: boolean; startP50: boolean; resumeP50: boolean; cpuTotal: boolean };
}

export function floorVerdict(subject: ContenderSummary, floor: ContenderSummary): FloorVerdict {
  const cpu = subject.cpuMsPerCycle;
  const base = floor.cpuMsPerCycle;
  const v = {
    throughput: ratio(subject.throughput.median, floor.throughput.median),
    startP50: ratio(subject.start.p50, floor.start.p50),
    resumeP50: ratio(subject.resume.p50, floor.resume.p50),
    cpuTotal: ratio(cpu[cpuKeys.total], base[cpuKeys.total]),
  };
  return {
    subject: subject.contender,
    concurrency: subject.concurrency,
    ...v,
    cpuTotalWithPostgres: ratio(cpu[cpuKeys.totalWithPostgres] ?? cpu[cpuKeys.total], base[cpuKeys.total]),
    cpu: {
      devServer: ratio(cpu[cpuKeys.devServer], base[cpuKeys.devServer]),
      // The embedded process is worker and API at once; the floor has no API, its client does that work.
      worker: ratio(cpu[cpuKeys.worker] ?? cpu[cpuKeys.workerAndApi], base[cpuKeys.worker]),
      client: ratio(cpu[cpuKeys.client], base[cpuKeys.client]),
      apiMs: cpu[cpuKeys.api] ?? null,
    },
    met: {
      throughput: v.throughput !== null && v.throughput >= floorTargets.throughput,
      startP50: v.startP50 !== null && v.startP50 <= floorTargets.legP50,
      resumeP50: v.resumeP50 !== null && v.resumeP50 <= floorTargets.legP50,
      cpuTotal: v.cpuTotal !== null && v.cpuTotal <= floorTargets.cpu,
    },
  };
}

export function verdictTable(verdicts: readonly FloorVerdict[], floorName: string): string {
  return table(
    [`÷ ${floorName}`, 'concurrency', `throughput (target ≥ ${floorTargets.throughput.toFixed(2)}×)`, `start p50 (≤ ${floorTargets.legP50}×)`,
      `resume p50 (≤ ${floorTargets.legP50}×)`, `total CPU per cycle (≤ ${floorTargets.cpu}×)`, 'total CPU with PostgreSQL backends'],
    verdicts.map((v) => [
      v.subject,
      String(v.concurrency),
      verdict(v.throughput, floorTargets.throughput, true),
      verdict(v.startP50, floorTargets.legP50, false),
      verdict(v.resumeP50, floorTargets.legP50, false),
      verdict(v.cpuTotal, floorTargets.cpu, false),
      times(v.cpuTotalWithPostgres),
    ]),
  );
}

export function cpuRatioTable(verdicts: readonly FloorVerdict[], floorName: string): string {
  return table(
    [`CPU per cycle ÷ ${floorName}'s`, 'concurrency', 'dev server', 'worker (÷ its worker)', 'API (ms; the floor has none)', 'client', 'total'],
    verdicts.map((v) => [
      v.subject,
      String(v.concurrency),
      times(v.cpu.devServer),
      times(v.cpu.worker),
      v.cpu.apiMs === null ? 'in worker' : `${ms(v.cpu.apiMs)} ms`,
      times(v.cpu.client),
      times(v.cpuTotal),
    ]),
  );
}

const waveCells = (w: WaveResult) => [
  `${w.succeeded}/${w.requests}`,
  w.p50 === null ? 'n/a' : `${ms(w.p50)} ms`,
  w.p99 === null ? 'n/a' : `${ms(w.p99)} ms`,
  `${(w.wallMs / 1000).toFixed(2)} s`,
];

export function burstTable(bursts: readonly BurstResult[]): string {
  const rows = bursts.map((b) => [b.contender, String(b.size), ...waveCells(b.starts), ...waveCells(b.resumes), b.allSucceeded ? 'yes' : 'no']);
  const failures = bursts.flatMap((b) => [...b.starts.errors.map((e) => `${b.contender} start: ${e}`), ...b.resumes.errors.map((e) => `${b.contender} resume: ${e}`)]);
  return [
    table(['contender', 'at once', 'starts ok', 'start p50', 'start p99', 'all starts answered in', 'resumes ok', 'resume p50', 'resume p99', 'all resumes answered in', 'every one succeeded'], rows),
    ...(failures.length > 0 ? ['', 'Failures (first distinct messages):', ...failures.map((f) => `- ${f}`)] : []),
  ].join('\n');
}
