import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

// Typed keys for Baton's search attributes (names registered by src/temporal/search-attributes.ts).
// They live here because workflow code may not import src/temporal; RunService uses them too.
export const projectKey = defineSearchAttributeKey('BatonProject', SearchAttributeType.KEYWORD);
export const definitionIdKey = defineSearchAttributeKey('BatonDefinitionId', SearchAttributeType.KEYWORD);
export const agentKey = defineSearchAttributeKey('BatonAgent', SearchAttributeType.KEYWORD);
export const sessionIdKey = defineSearchAttributeKey('BatonSessionId', SearchAttributeType.KEYWORD);
export const statusKey = defineSearchAttributeKey('BatonStatus', SearchAttributeType.KEYWORD);
export const stepOrderKey = defineSearchAttributeKey('BatonStepOrder', SearchAttributeType.INT);
export const updatedAtKey = defineSearchAttributeKey('BatonUpdatedAt', SearchAttributeType.DATETIME);
