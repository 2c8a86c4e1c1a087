import { ApplicationFailure } from '@temporalio/common';
import { describe, expect, it } from 'vitest';
import { createInMemorySessionMemory } from '../../src/activities/session-memory.ts';
import { createAgentRegistry, type ResolvedAgent } from '../../src/agents/agent-registry.ts';
import { extractJson, registerBuiltinAgents } from '../../src/agents/builtin-agents.ts';
import type { AgentContext } from '../../src/domain/agent.ts';
import { assignLead, classifyLead, leadRouterAgents } from '../../src/examples/lead-router.ts';

const context = (overrides: Partial<AgentContext> = {}): AgentContext => ({
  runId: 'wfr_1', project: 'p', step: 's', task: 'the task', state: { name: 'Ada' }, input: 'in', action: '',
  steps: { first: { output: { id: 7 } } }, sessionId: 'ses_1', session: [], ...overrides,
});
const signal = new AbortController().signal;
const run = async (agent: ResolvedAgent | undefined, ctx: AgentContext) => {
  if (!agent || agent.kind === 'llm') throw new Error('expected a runnable agent');
  return await agent.run(ctx, signal);
};

describe('agent registry', () => {
  it('registers, gets, lists and resolves function agents', async () => {
    const registry = createAgentRegistry().register('double', { kind: 'function', description: 'Doubles', run: async (ctx) => Number(ctx.input) * 2 });
    expect(await run(registry.get('double'), context({ input: 4 }))).toBe(8);
    expect(registry.list()).toEqual([{ id: 'double', kind: 'function', description: 'Doubles', config: {} }]);
    expect((await registry.resolve('any-project', 'double'))?.id).toBe('double');
    expect(registry.get('missing')).toBeUndefined();
    expect(await registry.resolve('p', 'missing')).toBeUndefined();
  });

  it('runs registered function agents as local activities only when their spec says local: true (the built-in ones do)', () => {
    const registry = createAgentRegistry()
      .register('quick', { kind: 'function', local: true, run: async () => 1 })
      .register('waits', { kind: 'function', run: async () => 2 });
    expect([registry.runsLocally('quick'), registry.runsLocally('waits'), registry.runsLocally('missing')]).toEqual([true, false, false]);
    const builtins = registerBuiltinAgents(createAgentRegistry());
    expect(['echo', 'template', 'json-extract'].map((id) => builtins.runsLocally(id))).toEqual([true, true, true]);
  });

  it('rejects duplicate ids, ids that are not slugs, and specs without run', () => {
    const registry = createAgentRegistry().register('one', { kind: 'function', run: async () => 1 });
    expect(() => registry.register('one', { kind: 'function', run: async () => 2 })).toThrow(/already registered/);
    expect(() => registry.register('Not A Slug', { kind: 'function', run: async () => 1 })).toThrow(/not a slug/);
    expect(() => registry.register('norun', { kind: 'function' } as never)).toThrow(/must be/);
  });

  it('asks the lookup for agents it does not hold, registered ones first', async () => {
    const asked: string[] = [];
    const registry = createAgentRegistry({
      lookup: async (project, agentId) => {
        asked.push(`${project}/${agentId}`);
        return agentId === 'stored' ? { id: 'stored', kind: 'llm', description: null, config: { model: 'm' } } : undefined;
      },
    }).register('local', { kind: 'function', run: async () => 'local' });
    expect((await registry.resolve('acme', 'stored'))?.kind).toBe('llm');
    expect((await registry.resolve('acme', 'local'))?.kind).toBe('function');
    expect(await registry.resolve('acme', 'nothing')).toBeUndefined();
    expect(asked).toEqual(['acme/stored', 'acme/nothing']);
  });
});

describe('built-in agents', () => {
  const registry = registerBuiltinAgents(createAgentRegistry());

  it('echo returns its input, null for none', async () => {
    expect(await run(registry.get('echo'), context({ input: { a: 1 } }))).toEqual({ a: 1 });
    expect(await run(registry.get('echo'), context({ input: undefined }))).toBeNull();
  });

  it('template renders its action over the context', async () => {
    expect(await run(registry.get('template'), context({ action: 'Dear {{state.name}}: {{task}}, {{input}}, #{{steps.first.output.id}}' }))).toBe('Dear Ada: the task, in, #7');
  });

  it('json-extract parses JSON from text, fences and prose, and picks a path', async () => {
    const agent = registry.get('json-extract');
    expect(await run(agent, context({ input: '{"category":"smb"}' }))).toEqual({ category: 'smb' });
    expect(await run(agent, context({ input: 'Here:\n```json\n{"a": [1, 2]}\n```\nthanks' }))).toEqual({ a: [1, 2] });
    expect(await run(agent, context({ input: 'The answer is {"x": "}"} ok', action: '$.x' }))).toBe('}');
    expect(await run(agent, context({ input: { already: 'object' }, action: '$.already' }))).toBe('object');
    expect(await run(agent, context({ input: '[1,2]', action: 'Extract it' }))).toEqual([1, 2]);
    await expect(run(agent, context({ input: '{"a":1}', action: '$.b' }))).rejects.toMatchObject({ type: 'json_extract_failed', nonRetryable: true });
    expect(() => extractJson('no json here')).toThrow(ApplicationFailure);
  });
});

describe('lead-router example agents', () => {
  it('classifies by explicit category, size, then free-mail domain, unknown leads as enterprise', () => {
    expect(classifyLead({ leadId: 'lead-123' })).toBe('enterprise');
    expect(classifyLead({ employees: 5000 })).toBe('enterprise');
    expect(classifyLead({ employees: 250 })).toBe('mid-market');
    expect(classifyLead({ employees: 3, email: 'ceo@bigcorp.com' })).toBe('smb');
    expect(classifyLead({ email: 'someone@gmail.com' })).toBe('smb');
    expect(classifyLead({ category: 'mid-market', employees: 5000 })).toBe('mid-market');
  });

  it('assigns to the confirmed team, or sales leadership on escalate', async () => {
    const steps = { classify: { output: { category: 'enterprise' } } };
    expect(assignLead({ input: 'approve', state: { leadId: 'lead-1' }, steps })).toEqual({ routedTo: 'enterprise-sales', leadId: 'lead-1', category: 'enterprise' });
    expect(assignLead({ input: 'escalate', state: {}, steps })).toEqual({ routedTo: 'sales-leadership', leadId: null, category: 'enterprise' });
    expect(await leadRouterAgents['lead-classifier']!.run(context({ state: { employees: 10 } }), signal)).toEqual({ category: 'smb' });
  });
});

describe('in-memory session memory', () => {
  it('appends once per (run, step), lists oldest first, keeps projects and sessions apart', async () => {
    const sessions = createInMemorySessionMemory();
    const entry = { runId: 'wfr_1', step: 'a', agentId: 'echo', input: 1, output: 1, at: '2026-01-01T00:00:00.000Z' };
    await sessions.append('p', 's', entry);
    await sessions.append('p', 's', { ...entry, output: 'retried' });
    await sessions.append('p', 's', { ...entry, step: 'b', output: 2 });
    await sessions.append('q', 's', { ...entry, output: 'other project' });
    expect((await sessions.list('p', 's')).map((e) => [e.step, e.output])).toEqual([['a', 1], ['b', 2]]);
    expect((await sessions.list('q', 's')).map((e) => e.output)).toEqual(['other project']);
    expect(await sessions.list('p', 'other')).toEqual([]);
  });
});
