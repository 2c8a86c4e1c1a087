// JSON over HTTP for the bench's clients, with errors that say what went wrong: fetch's own
// message is only "fetch failed", the reason (refused, reset, timeout) hides in its cause.

export async function postJson<T>(url: string, body: unknown, apiKey?: string): Promise<T> {
  const headers: Record<string, string> = { 'content-type': 'application/json', ...(apiKey ? { authorization: `Bearer ${apiKey}` } : {}) };
  return await requestJson<T>('POST', url, { method: 'POST', headers, body: JSON.stringify(body) });
}

export async function getJson<T>(url: string): Promise<T> {
  return await requestJson<T>('GET', url, {});
}

async function requestJson<T>(method: string, url: string, init: RequestInit): Promise<T> {
  let response: Response;
  try {
    response = await fetch(url, init);
  } catch (error) {
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    throw new Error(`${method} ${url} failed: ${cause?.code ?? ''} ${cause?.message ?? (error as Error).message}`.trim(), { cause: error });
  }
  const text = await response.text();
  if (!response.ok) throw new Error(`${method} ${url} answered ${response.status}: ${text.slice(0, 500)}`);
  return JSON.parse(text) as T;
}
