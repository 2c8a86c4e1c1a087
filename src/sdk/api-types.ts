// The types the SDK speaks in, all from the domain's zod schemas (the ones the API validates with).
// The package build replaces this file with their expanded form, so the published .d.ts needs
// neither zod nor src/domain: add a type here and it is generated for the package too.
export type {
  V1Answer,
  V1ForkBody,
  V1ListRunsQuery,
  V1ResumeBody,
  V1Run,
  V1RunEventsQuery,
  V1RunList,
  V1RunListItem,
  V1Step,
  V1StartWorkflowBody,
} from '../domain/v1-api.ts';
export type { SpringPage } from '../domain/definition-input.ts';
export type { ErrorBody } from '../domain/errors.ts';
export type { PendingAction, QuorumProgress } from '../domain/pending-action.ts';
export type { EffectiveSettings, ProjectSettings, ProjectSettingsPatch, ProjectSettingsView } from '../domain/project-settings.ts';
export type { RunStatus } from '../domain/run.ts';
export type {
  Webhook,
  WebhookCreate,
  WebhookCreated,
  WebhookDelivery,
  WebhookEvent,
  WebhookEventType,
  WebhookPatch,
} from '../domain/webhook.ts';
