// The Agent Manager API's own example: a three-step content pipeline run by two llm agents. It needs a model
// endpoint (OPENAI_BASE_URL); without one its first step fails at once, naming the variable.
import type { AgentCreate } from '../domain/agent.ts';
import type { ExampleDefinition } from '../domain/definition-input.ts';

export const techNewsBriefingExample: ExampleDefinition = {
  id: 'wf-tech-news-briefing',
  name: 'Tech News Briefing',
  description: 'Searches for tech news, summarizes it, and drafts a newsletter section.',
  steps: [
    { agentId: 'web_agent', action: 'Search for the latest news about artificial intelligence in healthcare', stepOrder: 1 },
    { agentId: 'procurator_assistant', action: 'Summarize the search results into 3 bullet points', stepOrder: 2 },
    { agentId: 'procurator_assistant', action: 'Turn these bullet points into a 2-paragraph newsletter section', stepOrder: 3 },
  ],
};

/** Stored per project like user-made agents, so operators can PATCH the model or prompt. */
export const techNewsBriefingAgents: AgentCreate[] = [
  {
    id: 'web_agent',
    kind: 'llm',
    description: 'Researches a topic; may fetch pages from hosts in BATON_HTTP_TOOL_ALLOW.',
    config: {
      model: 'gpt-4o-mini',
      system: 'You research topics for a newsletter. Answer with concise, factual findings and name your sources.',
      tools: [{ name: 'http_request' }],
    },
  },
  {
    id: 'procurator_assistant',
    kind: 'llm',
    description: 'Summarizes and drafts text.',
    config: {
      model: 'gpt-4o-mini',
      system: 'You are a careful editor. Follow the instruction exactly and answer with the text only.',
    },
  },
];
