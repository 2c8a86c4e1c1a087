// The inbox's script and stylesheet, read once from api/inbox/assets and served by the app itself:
// no build step, no CDN, and the Content-Security-Policy allows only these ('self').
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';

export interface InboxAsset {
  body: string;
  contentType: string;
  etag: string;
}

const files: Record<string, string> = {
  'inbox.js': 'text/javascript; charset=utf-8',
  'inbox.css': 'text/css; charset=utf-8',
};

let loaded: Map<string, InboxAsset> | undefined;

/** The asset named `file`, or undefined when there is no such asset. */
export function inboxAsset(file: string): InboxAsset | undefined {
  loaded ??= new Map(Object.entries(files).map(([name, contentType]) => {
    const body = readFileSync(path.join(import.meta.dirname, 'assets', name), 'utf8');
    return [name, { body, contentType, etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"` }];
  }));
  return Object.hasOwn(files, file) ? loaded.get(file) : undefined;
}
