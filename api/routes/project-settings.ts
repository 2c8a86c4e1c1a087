import { createRoute } from '@hono/zod-openapi';
import type { PauseTimeout } from '../../src/domain/duration.ts';
import {
  effectiveSettings,
  projectSettingsPatchSchema,
  projectSettingsResponseSchema,
  serverDefaults,
  type ProjectSettingsView,
} from '../../src/domain/project-settings.ts';
import type { StoredProjectSettings } from '../../src/store/project-settings.ts';
import type { Store } from '../../src/store/open-store.ts';
import { createRouter } from '../router.ts';
import { commonErrors, jsonResponse, mergePatchBody } from './agent-manager-schemas.ts';
import { bodyErrors, errorResponse } from './openapi-errors.ts';

export interface ProjectSettingsRoutesDeps {
  store: Pick<Store, 'projectSettings'>;
  /** BATON_PAUSE_TIMEOUT: what a project without its own pauseTimeout gets. */
  serverPauseTimeout: PauseTimeout;
  /** Told after a change commits, so this process's run starts read the new settings at once. */
  changed?: (project: string) => void;
}

const tags = ['Agent Manager: project settings'];
const precedence = 'Each setting applies to a human step (approval, input, or an agent step with requireApproval) that sets none of its own: '
  + 'the step\'s value wins, then its workflow\'s, then the project\'s, then the server\'s default. '
  + 'Runs take the settings when they start: a change reaches runs started after it, never a run already waiting. '
  + 'Workflows created through POST /api/v1/workflows without a pauseTimeout hold "never" (paused Agent Manager runs wait until answered), '
  + 'which wins over the project\'s pauseTimeout; PATCH such a workflow with {"pauseTimeout": null} to let the project decide. '
  + 'An API process reads a change made through another one within 5 seconds.';

const getRoute = createRoute({
  method: 'get', path: '/settings', tags, operationId: 'getProjectSettings', summary: 'The project\'s settings, the server\'s defaults and what applies',
  description: precedence,
  responses: { 200: jsonResponse(projectSettingsResponseSchema, 'What the project set, what the server would use, and what a run starting now uses'), ...commonErrors },
});
const patchRoute = createRoute({
  method: 'patch', path: '/settings', tags, operationId: 'updateProjectSettings', summary: 'Change the project\'s settings with a JSON Merge Patch (RFC 7396)',
  description: 'Fields present change, `null` clears one (back to the server default), fields left out stay. Unknown fields are refused (400) and nothing changes. '
    + 'Sent as `application/merge-patch+json` or `application/json`. ' + precedence,
  request: { body: mergePatchBody(projectSettingsPatchSchema) },
  responses: {
    200: jsonResponse(projectSettingsResponseSchema, 'The settings after the change'),
    ...commonErrors, ...bodyErrors,
    415: errorResponse('invalid_request: the body is not sent as application/merge-patch+json or application/json'),
  },
});

/** The Agent Manager API's project settings (the caller's project, from its API key); mounted under `/api/v1`. */
export function createProjectSettingsRoutes(deps: ProjectSettingsRoutesDeps) {
  const defaults = serverDefaults(deps.serverPauseTimeout);
  const view = (stored: StoredProjectSettings): ProjectSettingsView => ({
    settings: stored.settings,
    serverDefaults: defaults,
    effective: effectiveSettings(stored.settings, defaults),
    updatedAt: stored.updatedAt,
  });
  return createRouter()
    .openapi(getRoute, async (c) => c.json(view(await deps.store.projectSettings.get(c.get('project'))), 200))
    .openapi(patchRoute, async (c) => {
      const project = c.get('project');
      const updated = await deps.store.projectSettings.update(project, c.req.valid('json'));
      deps.changed?.(project);
      return c.json(view(updated), 200);
    });
}
