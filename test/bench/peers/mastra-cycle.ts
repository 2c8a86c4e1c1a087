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
import { assignLead, classifyLead } from '../../../src/examples/lead-router.ts';
import { benchLead, benchLeadState, benchRoutedTo, type Contender, type CycleTiming } from '../contender.ts';

// The agents are lead-router's own functions, so every engine runs the same agent code.
const categorySchema = z.enum(['enterprise', 'mid-market', 'smb']);
const stateSchema = z.record(z.string(), z.unknown());

const classifyStep = createStep({
  id: 'classify',
  inputSchema: z.object({ task: z.string(), state: stateSchema }),
  outputSchema: z.object({ category: categorySchema, state: stateSchema }),
  execute: async ({ inputData }) => ({ category: classifyLead(inputData.state), state: inputData.state }),
});

const approvalStep = createStep({
  id: 'approval',
  inputSchema: z.object({ category: categorySchema, state: stateSchema }),
  outputSchema: z.object({ category: categorySchema, state: stateSchema, decision: z.string() }),
  suspendSchema: z.object({ proposed: categorySchema }),
  resumeSchema: z.object({ decision: z.enum(['approve', 'reject', 'escalate']) }),
  execute: async ({ inputData, resumeData, suspend }) => {
    if (!resumeData) return await suspend({ proposed: inputData.category });
    return { ...inputData, decision: resumeData.decision };
  },
});

const routeStep = createStep({
  id: 'route',
  inputSchema: z.object({ category: categorySchema, state: stateSchema, decision: z.string() }),
  outputSchema: z.object({ routedTo: z.string(), decision: z.string() }),
  execute: async ({ inputData }) => ({
    routedTo: assignLead({ input: inputData.decision, state: inputData.state, steps: { classify: { output: { category: inputData.category } } } }).routedTo,
    decision: inputData.decision,
  }),
});

const approvalCycleWorkflow = createWorkflow({
  id: 'approval-cycle',
  inputSchema: z.object({ task: z.string(), state: stateSchema }),
  outputSchema: z.object({ routedTo: z.string(), decision: z.string() }),
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
      const started = await run.start({ inputData: { task: benchLead, state: benchLeadState } });
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
      const result = resumed.status === 'success' ? (resumed.result as { routedTo?: string }) : null;
      if (result?.routedTo !== benchRoutedTo) {
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
