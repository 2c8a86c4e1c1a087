// Suite: does a webhook receiver that never answers slow the runs it is told about? One Baton
// deployment, two projects taking turns round by round, each with a webhook on every run event:
// `live`'s receiver answers 204 at once, `dead`'s is a socket on 127.0.0.1 that accepts and never
// answers. Both pay the same outbox writes, so the difference is the receiver alone. The workflow
// only adds outbox rows; the API's sender holds each dead attempt for its 10 s timeout.
import { createServer as createHttpServer } from 'node:http';
import { createServer, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { createBatonHttpContender, describeProcess } from '../baton-http.ts';
import type { Contender } from '../contender.ts';
import { readCpuOf } from '../cpu.ts';
import { startBatonDeployment } from '../harness/baton-stack.ts';
import { postJson } from '../http-json.ts';
import { type ContenderSummary, type RoundResult, interleave, summarizeRounds } from '../measure.ts';
import { comparison, comparisonTable, contenderTable, cpuTable } from '../report.ts';
import { type BenchOptions, roundAt, type Suite, type SuiteReport } from '../suite.ts';

const keys = { live: 'bench-key-live', dead: 'bench-key-dead' };

export const webhooksSuite: Suite = {
  name: 'webhooks',
  async run(options: BenchOptions): Promise<SuiteReport> {
    // Accepts every connection and says nothing: the worst receiver short of one that refuses.
    const held = new Set<Socket>();
    const blackHole = createServer((socket) => { held.add(socket); socket.on('close', () => held.delete(socket)); socket.on('error', () => {}); });
    await new Promise<void>((resolve) => blackHole.listen(0, '127.0.0.1', resolve));
    const port = (blackHole.address() as AddressInfo).port;
    let delivered = 0;
    const liveReceiver = createHttpServer((request, response) => { request.resume(); delivered += 1; response.writeHead(204).end(); });
    await new Promise<void>((resolve) => liveReceiver.listen(0, '127.0.0.1', resolve));
    const livePort = (liveReceiver.address() as AddressInfo).port;
    const deployment = await startBatonDeployment({
      workers: 1, api: true, taskQueue: 'baton-bench-webhooks', log: options.log,
      env: { BATON_API_KEYS: `${keys.live}:live,${keys.dead}:dead`, BATON_EGRESS_ALLOW: `127.0.0.1:${port},127.0.0.1:${livePort}` },
    });
    const apiUrl = deployment.stack.apiUrl as string;
    const diagnose = () => describeProcess(deployment.stack.api);
    const live = createBatonHttpContender(apiUrl, 'live-receiver', diagnose, keys.live);
    const dead = createBatonHttpContender(apiUrl, 'dead-receiver', diagnose, keys.dead);
    const contenders: Contender[] = [live, dead];
    const cpuProbe = () => readCpuOf({ worker: deployment.stack.workers[0]?.pid ?? -1, api: deployment.stack.api?.pid ?? -1, temporal: deployment.temporal.pid });
    const levels = (options.quick ? [1, 4] : [1, 16]).map((concurrency) => roundAt(options, concurrency));
    const summaries: ContenderSummary[] = [];
    const rounds: Record<string, Record<string, RoundResult[]>> = {};
    // Read once the rounds are over, before the sockets are closed.
    const observed = { heldConnections: 0, delivered: 0 };
    try {
      await postJson(`${apiUrl}/api/v1/webhooks`, { url: `http://127.0.0.1:${livePort}/baton` }, keys.live);
      await postJson(`${apiUrl}/api/v1/webhooks`, { url: `http://127.0.0.1:${port}/baton` }, keys.dead);
      for (const level of levels) {
        options.log(`webhooks: concurrency ${level.concurrency}, rounds of ${level.durationMs / 1000} s`);
        const results = await interleave(contenders, { ...level, repeats: options.repeats, log: options.log, cpuProbe });
        rounds[`c${level.concurrency}`] = Object.fromEntries(results);
        for (const contender of contenders) summaries.push(summarizeRounds(results.get(contender.name) ?? []));
      }
      observed.heldConnections = held.size;
      observed.delivered = delivered;
    } finally {
      await deployment.stop();
      for (const socket of held) socket.destroy();
      await new Promise<void>((resolve) => blackHole.close(() => resolve()));
      await new Promise<void>((resolve) => liveReceiver.close(() => resolve()));
    }
    const comparisons = levels.map((level) => {
      const pick = (name: string) => summaries.find((s) => s.contender === name && s.concurrency === level.concurrency) as ContenderSummary;
      return comparison(pick(dead.name), pick(live.name));
    });
    const markdown = [
      `Both projects on one deployment (one worker, one API), interleaved; the live receiver got ${observed.delivered} deliveries, the dead one held ${observed.heldConnections} connection(s) open when the rounds ended.\n`,
      contenderTable(summaries),
      '\nCPU per cycle (worker, API, dev server):\n',
      cpuTable(summaries),
      '\nWith a dead receiver relative to a live one (target: unchanged, ≈1.00×):\n',
      comparisonTable(comparisons),
    ].join('\n');
    return { suite: 'webhooks', title: 'A webhook receiver that never answers, beside one that answers at once', markdown, data: { levels, summaries, comparisons, rounds, ...observed }, missing: [] };
  },
};
