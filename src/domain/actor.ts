import { z } from 'zod';

/**
 * A person's label: an API key's (`key:project:label` in BATON_API_KEYS), and so an inbox user's.
 * Letters, digits, `.`, `_`, `@`, `+` and `-`, at most 64 (e.g. `ci-bot`, `alice@example.com`).
 */
export const actorLabelPattern = /^[A-Za-z0-9][A-Za-z0-9._@+-]{0,63}$/;
export const actorLabelSchema = z.string().regex(actorLabelPattern, 'a label: a letter or digit, then letters, digits, ".", "_", "@", "+" or "-", at most 64');

/** Who answered a paused step: an API key (its label), an inbox user, or Baton itself (a timeout default). */
export const actorSchema = z.object({
  via: z.enum(['api', 'inbox', 'system']),
  /** The API key's label (`key:project:label` in BATON_API_KEYS), or the inbox user's; null when the key has none. */
  label: z.string().nullable(),
}).meta({ id: 'Actor' });
export type Actor = z.infer<typeof actorSchema>;
