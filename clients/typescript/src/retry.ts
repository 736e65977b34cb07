/**
 * Retries of 503 and 429 answers, waiting what `Retry-After` asks, within bounds.
 *
 * `retryingFetch` wraps `fetch`, so it covers every API call; each attempt sends a clone of
 * the request. The S3 PUT of an upload goes through `retrying` with a request built anew
 * from the file per attempt (a clone of a multi-gigabyte body would be held in memory).
 * Bounded twice: at most `maxRetries` retries, and never a wait longer than `maxDelayMs`;
 * an answer whose Retry-After is longer (a daily budget spent until midnight) is returned
 * at once, and becomes a typed error carrying `retryAfterMs`. Without Retry-After the
 * waits double from `baseDelayMs`. Other statuses and network errors are not retried.
 */

export interface RetryOptions {
  /** Retries after the first attempt (default 3; 0 turns retrying off). */
  maxRetries?: number;
  /** The longest single wait (default 30 s). */
  maxDelayMs?: number;
  /** The first wait when the answer has no Retry-After; doubled each retry (default 500 ms). */
  baseDelayMs?: number;
  /** How to wait (tests pass a recorder). */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

export const RETRIED_STATUSES: ReadonlySet<number> = new Set([429, 503]);

type Fetch = (request: Request) => Promise<Response>;

export function retryingFetch(base: Fetch, options: RetryOptions = {}): Fetch {
  return (request: Request) => retrying(() => base(request.clone()), options, request.signal);
}

/** `send` again while it answers 503/429, within the bounds; `send` must build a fresh request each time. */
export async function retrying(
  send: () => Promise<Response>,
  options: RetryOptions = {},
  signal?: AbortSignal,
): Promise<Response> {
  const maxRetries = options.maxRetries ?? 3;
  const maxDelayMs = options.maxDelayMs ?? 30_000;
  const baseDelayMs = options.baseDelayMs ?? 500;
  const sleep = options.sleep ?? abortableSleep;
  for (let retry = 0; ; retry++) {
    const response = await send();
    if (!RETRIED_STATUSES.has(response.status) || retry >= maxRetries) return response;
    const delay = retryAfterMs(response.headers.get("retry-after")) ?? baseDelayMs * 2 ** retry;
    if (delay > maxDelayMs) return response;
    await response.body?.cancel();
    await sleep(delay, signal);
  }
}

/** Retry-After as milliseconds from now: delay-seconds or an HTTP date; undefined if absent or unreadable. */
export function retryAfterMs(header: string | null, now: number = Date.now()): number | undefined {
  if (header === null) return undefined;
  const value = header.trim();
  if (/^\d+$/.test(value)) return Number(value) * 1000;
  const at = Date.parse(value);
  if (Number.isNaN(at) || !/[a-z]/i.test(value)) return undefined;
  return Math.max(0, at - now);
}

/** setTimeout as a promise that an AbortSignal ends early (rejecting with its reason). */
export function abortableSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}
