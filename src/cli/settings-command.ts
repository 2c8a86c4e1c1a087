import { parseArgs } from 'node:util';
import type { ProjectSettingsPatch, ProjectSettingsView } from '../domain/project-settings.ts';
import { createClient } from '../sdk/client.ts';
import { commandFailure, operatorEnvSchema, UsageError, type RunsCommandIo } from './runs-command.ts';

const usage = `usage:
  baton settings get [--json]
  baton settings set FIELD=VALUE... [--json]   (FIELD: pauseTimeout, remindAfter, remindEvery; VALUE: a duration
      such as 30m, 2d, 'never', or null to go back to the server default)
environment: BATON_URL (default http://127.0.0.1:3000), BATON_API_KEY (whose project's settings)`;

const fields = ['pauseTimeout', 'remindAfter', 'remindEvery'] as const;

/** `pauseTimeout=2d remindEvery=null` as a merge patch; the API checks the values. */
export function parseSettingsAssignments(assignments: string[]): ProjectSettingsPatch {
  if (assignments.length === 0) throw new UsageError('baton settings set needs at least one FIELD=VALUE');
  const patch: Record<string, string | number | null> = {};
  for (const assignment of assignments) {
    const at = assignment.indexOf('=');
    const field = at < 0 ? assignment : assignment.slice(0, at);
    if (at < 0 || !(fields as readonly string[]).includes(field)) throw new UsageError(`not FIELD=VALUE with FIELD one of ${fields.join(', ')}: ${assignment}`);
    const value = assignment.slice(at + 1);
    // A bare number is milliseconds, as the API reads it.
    patch[field] = value === 'null' ? null : /^\d+$/.test(value) ? Number(value) : value;
  }
  return patch;
}

/** The settings for a person: each field's value and where it comes from. */
export function formatSettings(view: ProjectSettingsView): string {
  const shown = (value: string | number | null) => (value === null ? '-' : String(value));
  const rows = fields.map((field) => [field, shown(view.effective[field]), field in view.settings ? 'project' : 'server default']);
  const widths = [0, 1, 2].map((column) => Math.max(...[['SETTING', 'VALUE', 'FROM'], ...rows].map((row) => row[column]!.length)));
  const lines = [['SETTING', 'VALUE', 'FROM'], ...rows].map((row) => row.map((cell, column) => cell.padEnd(widths[column]!)).join('  ').trimEnd());
  lines.push('', view.updatedAt ? `Changed ${view.updatedAt}. A step's or workflow's own value wins over these.` : 'Never changed. A step\'s or workflow\'s own value wins over these.');
  return lines.join('\n');
}

/** `baton settings get|set`: the key's project settings over the Agent Manager API (through the SDK). */
export async function settingsCommand(args: string[], io: RunsCommandIo): Promise<number> {
  const [command, ...rest] = args;
  try {
    const env = operatorEnvSchema.safeParse(io.env);
    if (!env.success) throw new UsageError(`BATON_URL: ${env.error.issues[0]?.message ?? 'invalid'}`);
    const client = createClient({ baseUrl: env.data.BATON_URL, apiKey: env.data.BATON_API_KEY, fetch: io.fetch });
    const { values, positionals } = parseArgs({ args: rest, options: { json: { type: 'boolean' } }, allowPositionals: true });
    let view: ProjectSettingsView;
    switch (command) {
      case 'get':
        if (positionals.length > 0) throw new UsageError(`unexpected argument: ${positionals[0]}`);
        view = await client.settings.get();
        break;
      case 'set':
        view = await client.settings.update(parseSettingsAssignments(positionals));
        break;
      default:
        throw new UsageError(command ? `unknown command: settings ${command}` : 'missing command');
    }
    io.out(values.json ? JSON.stringify(view, null, 2) : formatSettings(view));
    return 0;
  } catch (error) {
    return commandFailure(error, io, usage);
  }
}
