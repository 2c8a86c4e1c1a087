// A project's settings: one row of the fields it set. A PATCH merges into them (RFC 7396) under a
// row lock, so two changes at once apply one after the other instead of one being lost.
import type { Kysely } from 'kysely';
import { BatonError } from '../domain/errors.ts';
import { applyMergePatch } from '../domain/json-merge-patch.ts';
import { projectSettingsSchema, type ProjectSettings, type ProjectSettingsPatch } from '../domain/project-settings.ts';
import type { Database } from './database.ts';

export interface StoredProjectSettings {
  settings: ProjectSettings;
  /** null: the project never set anything. */
  updatedAt: string | null;
}

export interface ProjectSettingsRepository {
  get(project: string): Promise<StoredProjectSettings>;
  /** Merges `patch` into the stored settings (`null` clears a field) and returns the result. */
  update(project: string, patch: ProjectSettingsPatch): Promise<StoredProjectSettings>;
}

/**
 * Settings stored by an earlier version may hold a field this one no longer reads: it is left
 * out rather than failing every start of the project's runs.
 */
function readSettings(value: unknown): ProjectSettings {
  const parsed = projectSettingsSchema.safeParse(value);
  if (parsed.success) return parsed.data;
  const kept: Record<string, unknown> = {};
  for (const [key, field] of Object.entries(projectSettingsSchema.shape)) {
    const read = field.safeParse((value as Record<string, unknown> | null)?.[key]);
    if (read.success && read.data !== undefined) kept[key] = read.data;
  }
  return kept;
}

export function createProjectSettingsRepository(db: Kysely<Database>): ProjectSettingsRepository {
  return {
    async get(project) {
      const row = await db.selectFrom('project_settings').select(['settings', 'updated_at']).where('project', '=', project).executeTakeFirst();
      return row ? { settings: readSettings(row.settings), updatedAt: new Date(row.updated_at).toISOString() } : { settings: {}, updatedAt: null };
    },

    async update(project, patch) {
      return db.transaction().execute(async (trx) => {
        const now = new Date();
        // A first change has no row to lock: insert an empty one (or find another's), then lock it.
        await trx.insertInto('project_settings').values({ project, settings: '{}', updated_at: now }).onConflict((oc) => oc.column('project').doNothing()).execute();
        const row = await trx.selectFrom('project_settings').select('settings').where('project', '=', project).forUpdate().executeTakeFirstOrThrow();
        const merged = projectSettingsSchema.safeParse(applyMergePatch(readSettings(row.settings), patch));
        if (!merged.success) throw new BatonError('invalid_request', 'The patched settings are not valid project settings.', merged.error.issues);
        await trx.updateTable('project_settings').set({ settings: JSON.stringify(merged.data), updated_at: now }).where('project', '=', project).execute();
        return { settings: merged.data, updatedAt: now.toISOString() };
      });
    },
  };
}
