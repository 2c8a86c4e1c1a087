import { z } from 'zod';
import { pauseTimeoutSchema } from './duration.ts';
import { remindAfterSchema, remindEverySchema } from './step.ts';

// A project's own defaults for human steps, changed through the API without a redeploy. Each
// applies where neither the step nor its workflow says otherwise, and falls back to the server's
// (BATON_PAUSE_TIMEOUT; no reminders). Runs take them when they start, so a change reaches new
// runs only, never one already waiting.

const settingsFields = {
  pauseTimeout: pauseTimeoutSchema.meta({ description: 'How long a run may stay paused at a human step before its onTimeout applies (default: fail with pause_timeout); "never" waits until answered' }),
  remindAfter: remindAfterSchema.meta({ description: 'How long after a pause the first run.reminder event is sent; "never": no reminders' }),
  remindEvery: remindEverySchema.meta({ description: 'How often the reminder repeats until the step is answered or its deadline passes (at most 100 per pause); "never": once only' }),
};

/** What a project stores: only the fields it set. */
export const projectSettingsSchema = z.strictObject({
  pauseTimeout: settingsFields.pauseTimeout.optional(),
  remindAfter: settingsFields.remindAfter.optional(),
  remindEvery: settingsFields.remindEvery.optional(),
}).meta({ id: 'ProjectSettings' });
export type ProjectSettings = z.infer<typeof projectSettingsSchema>;

/** PATCH: a JSON Merge Patch (RFC 7396) of the stored settings; `null` clears a field. */
export const projectSettingsPatchSchema = z.strictObject({
  pauseTimeout: settingsFields.pauseTimeout.nullable().optional(),
  remindAfter: settingsFields.remindAfter.nullable().optional(),
  remindEvery: settingsFields.remindEvery.nullable().optional(),
}).meta({ id: 'ProjectSettingsPatch' });
export type ProjectSettingsPatch = z.infer<typeof projectSettingsPatchSchema>;

/** Every setting with the value a run starting now uses when its step and workflow leave it out. */
export const effectiveSettingsSchema = z.object({
  pauseTimeout: pauseTimeoutSchema,
  /** null: no reminders. */
  remindAfter: remindAfterSchema.nullable(),
  /** null: no repeat. */
  remindEvery: remindEverySchema.nullable(),
}).meta({ id: 'EffectiveProjectSettings' });
export type EffectiveSettings = z.infer<typeof effectiveSettingsSchema>;

export const projectSettingsResponseSchema = z.object({
  settings: projectSettingsSchema.meta({ description: 'What this project has set; a field left out falls back to the server default' }),
  serverDefaults: effectiveSettingsSchema.meta({ description: 'The server\'s defaults (BATON_PAUSE_TIMEOUT; no reminders)' }),
  effective: effectiveSettingsSchema.meta({ description: 'What a run starting now uses for a human step whose step and workflow leave the field out: settings, else serverDefaults' }),
  /** When the settings last changed; null when the project never set any. */
  updatedAt: z.iso.datetime().nullable(),
}).meta({ id: 'ProjectSettingsView' });
export type ProjectSettingsView = z.infer<typeof projectSettingsResponseSchema>;

/** The server's defaults for what a project may set. */
export function serverDefaults(pauseTimeout: EffectiveSettings['pauseTimeout']): EffectiveSettings {
  return { pauseTimeout, remindAfter: null, remindEvery: null };
}

export function effectiveSettings(settings: ProjectSettings, defaults: EffectiveSettings): EffectiveSettings {
  return {
    pauseTimeout: settings.pauseTimeout ?? defaults.pauseTimeout,
    remindAfter: settings.remindAfter ?? defaults.remindAfter,
    remindEvery: settings.remindEvery ?? defaults.remindEvery,
  };
}
