import { z } from 'zod';

// Public ids carry a prefix naming what they are, so a run id pasted into the wrong endpoint is
// recognisably wrong in logs and errors.
export const runIdSchema = z.string().regex(/^wfr_[0-9A-Za-z_-]{1,100}$/, 'a run id such as "wfr_01J…"');
export const definitionIdSchema = z.string().regex(/^wf-[0-9A-Za-z_-]{1,100}$/, 'a workflow id such as "wf-3a7bc9"');
export const stepIdSchema = z.string().regex(/^st-[0-9A-Za-z_-]{1,100}$/, 'a step id such as "st-01J…"');
/** Slugs name agents, steps and projects: they appear in URLs and in Temporal search attributes. */
export const slugSchema = z.string().regex(/^[a-z0-9][a-z0-9_-]{0,63}$/, 'lower-case letters, digits, "-" and "_", at most 64');
export const projectIdSchema = slugSchema;
export const sessionIdSchema = z.string().min(1).max(200).regex(/^[^\s]+$/, 'no white space');
