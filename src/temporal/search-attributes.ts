/** Baton's custom search attributes: what list/count filters and the Web UI show. */
export const batonSearchAttributes = {
  BatonProject: 'Keyword',
  BatonDefinitionId: 'Keyword',
  BatonAgent: 'Keyword',
  BatonSessionId: 'Keyword',
  BatonStatus: 'Keyword',
  BatonStepOrder: 'Int',
  BatonUpdatedAt: 'Datetime',
} as const;
export type BatonSearchAttributeName = keyof typeof batonSearchAttributes;
