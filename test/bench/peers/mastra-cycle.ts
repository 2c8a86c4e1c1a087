// The approval cycle on Mastra workflows, written the way Mastra documents suspend & resume:
// a step calls suspend() until resumeData arrives, and a later request resumes the run by id
// with run.resume({ step, resumeData }). Snapshots persist in Mastra's embedded LibSQL store,
// a file in a temp folder (durable, like the other engines' stores), created fresh per run.
// Mastra is a library inside the application, so its workflows run in this process.
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Mastra } from '@mastra/core';
import { createStep, createWorkflow } from '@mastra/core/workflows';
import { LibSQLStore } from '@mastra/libsql';
import { z } from 'zod';
import { benchLead, type Contender, type CycleTiming } from '../contender.ts';
import { classifyLead, routeLead } from './lead-classifier.ts';

const categorySchema = z.enum(['sales', 'support', 'other']);

const classifyStep = createStep({
  id: 'classify',
  inputSchema: z.object({ task: z.string() }),
  outputSchema: z.object({ category: categorySchema }),
  execute: async ({ inputData }) => classifyLead(inputData.task),
});

const approvalStep = createStep({
  id: 'approval',
  inputSchema: z.object({ category: categorySchema }),
  outputSchema: z.object({ category: categorySchema, decision: z.string() }),
  suspendSchema: z.object({ proposed: categorySchema }),
  resumeSchema: z.object({ decision: z.enum(['approve', 'reject']) }),
  execute: async ({ inputData, resumeData, suspend }) => {
    if (!resumeData) return await suspend({ proposed: inputData.category });
    if (resumeData.decision !== 'approve') throw new Error(`approval step got ${resumeData.decision}`);
    return { category: inputData.category, decision: resumeData.decision };
  },
});

const routeStep = createStep({
  id: 'route',
  inputSchema: z.object({ category: categorySchema, decision: z.string() }),
  outputSchema: z.object({ queue: z.string(), decision: z.string() }),
  execute: async ({ inputData }) => ({ ...routeLead(inputData.category), decision: inputData.decision }),
});

const approvalCycleWorkflow = createWorkflow({
  id: 'approval-cycle',
  inputSchema: z.object({ task: z.string() }),
  outputSchema: z.object({ queue: z.string(), decision: z.string() }),
})
  .then(classifyStep)
  .then(approvalStep)
  .then(routeStep)
  .commit();

export function createMastraContender(): Contender {
  let mastra: Mastra | null = null;
  let storage: LibSQLStore | null = null;
  let dataDir: string | null = null;

  const workflow = () => {
    if (!mastra) throw new Error('mastra contender: setup() first');
    return mastra.getWorkflow('approvalCycle');
  };

  return {
    name: 'mastra',
    async setup() {
      dataDir = await mkdtemp(path.join(os.tmpdir(), 'baton-bench-mastra-'));
      storage = new LibSQLStore({ id: 'bench-storage', url: `file:${path.join(dataDir, 'mastra.db')}` });
      mastra = new Mastra({ workflows: { approvalCycle: approvalCycleWorkflow }, storage, logger: false });
    },
    async cycle(): Promise<CycleTiming> {
      const runId = `bench-mastra-${randomUUID()}`;
      const t0 = performance.now();
      const run = await workflow().createRun({ runId });
      const started = await run.start({ inputData: { task: benchLead } });
      const t1 = performance.now();
      if (started.status !== 'suspended' || started.steps.approval?.status !== 'suspended') {
        throw new Error(`mastra run ${runId} did not suspend for approval: ${started.status}`);
      }

      const t2 = performance.now();
      // A fresh Run for the same id, as a later "approve" request would build: the snapshot is loaded
      // from storage, not from this process's memory of the first request.
      const later = await workflow().createRun({ runId });
      const resumed = await later.resume({ step: 'approval', resumeData: { decision: 'approve' } });
      const t3 = performance.now();
      const result = resumed.status === 'success' ? (resumed.result as { queue?: string }) : null;
      if (result?.queue !== 'sales-team') {
        throw new Error(`mastra run ${runId} did not complete: ${resumed.status}`);
      }
      return { startMs: t1 - t0, resumeMs: t3 - t2 };
    },
    async teardown() {
      await mastra?.shutdown();
      await storage?.close();
      if (dataDir) await rm(dataDir, { recursive: true, force: true });
      mastra = null;
      storage = null;
      dataDir = null;
    },
  };
}
