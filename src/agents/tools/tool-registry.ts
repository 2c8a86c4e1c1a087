import { z } from 'zod';

/** What a tool sees besides its arguments. */
export interface ToolContext {
  agentId: string;
  runId: string;
  step: string;
  /** Aborted when the activity is cancelled or times out. */
  signal: AbortSignal;
}

export interface ToolDefinition<Schema extends z.ZodType = z.ZodType> {
  /** Letters, digits, "_" and "-": the name the model calls the tool by. */
  name: string;
  description: string;
  /** Validates the model's arguments and becomes the tool's JSON schema for the model. */
  parameters: Schema;
  run(args: z.output<Schema>, ctx: ToolContext): Promise<unknown>;
}

/**
 * A failure the model should read and can act on (bad expression, host not allowed, connection
 * refused): returned to the model as the tool's result instead of failing the step. Any other
 * error is thrown out of the activity and retried by Temporal.
 */
export class ToolError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ToolError';
  }
}

/** One entry of the chat-completions `tools` array. */
export interface OpenAiFunctionTool {
  type: 'function';
  function: { name: string; description: string; parameters: Record<string, unknown> };
}

export interface ToolRegistry {
  register<Schema extends z.ZodType>(tool: ToolDefinition<Schema>): ToolRegistry;
  get(name: string): ToolDefinition | undefined;
  names(): string[];
  /** The tools' JSON schemas for the model; throws on a name that is not registered. */
  toOpenAiTools(names: readonly string[]): OpenAiFunctionTool[];
}

const toolNamePattern = /^[A-Za-z0-9_-]{1,64}$/;

export function createToolRegistry(): ToolRegistry {
  const tools = new Map<string, ToolDefinition>();
  const schemas = new Map<string, Record<string, unknown>>();
  const registry: ToolRegistry = {
    register(tool) {
      if (!toolNamePattern.test(tool.name)) throw new Error(`tool name "${tool.name}" must match ${toolNamePattern}`);
      if (tools.has(tool.name)) throw new Error(`tool "${tool.name}" is already registered`);
      // Converted once at registration so an unrepresentable schema fails at worker start, not mid-run.
      const { $schema: _ignored, ...parameters } = z.toJSONSchema(tool.parameters, { io: 'input' }) as Record<string, unknown>;
      tools.set(tool.name, tool);
      schemas.set(tool.name, parameters);
      return registry;
    },
    get: (name) => tools.get(name),
    names: () => [...tools.keys()],
    toOpenAiTools(names) {
      return names.map((name) => {
        const tool = tools.get(name);
        const parameters = schemas.get(name);
        if (!tool || !parameters) throw new Error(`tool "${name}" is not registered in this worker (registered: ${[...tools.keys()].join(', ') || 'none'})`);
        return { type: 'function', function: { name, description: tool.description, parameters } };
      });
    },
  };
  return registry;
}
