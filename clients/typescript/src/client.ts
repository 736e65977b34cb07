/**
 * The typed client: the calls a Next.js app makes, each returning the API's typed answer or
 * throwing a typed error (errors.ts). Requests go through openapi-fetch over the generated
 * types, and every call, the S3 PUT of an upload included, retries 503/429 the same
 * bounded way (retry.ts). `api` is the raw typed client for routes
 * without a method here.
 */
import createClient, { type Client, type Middleware } from "openapi-fetch";

import { apiError, JobWaitTimeoutError, UploadFailedError } from "./errors.ts";
import type { paths } from "./generated/openapi.ts";
import { abortableSleep, type RetryOptions, retryAfterMs, retrying, retryingFetch } from "./retry.ts";
import type {
  AiRouteRequest,
  AiRouteResponse,
  Job,
  JobAccepted,
  JobFilter,
  JobPage,
  JobRequest,
  UploadTicket,
  VideoContentType,
} from "./types.ts";

export interface HuntazeClientOptions {
  /** The API's base URL (the stage's API Gateway URL, or `make local`'s). */
  baseUrl: string;
  /** The caller's JWT, or a function that returns a fresh one for each request. */
  token: string | (() => string | Promise<string>);
  retry?: RetryOptions;
  /** The transport (default: the global fetch). */
  fetch?: (request: Request) => Promise<Response>;
}

export interface VideoUpload {
  filename: string;
  contentType: VideoContentType;
  /** The whole file: a File from `request.formData()`, a Blob, or bytes. */
  data: Blob | ArrayBuffer | Uint8Array;
}

export interface WaitOptions {
  /** Give up after this long (default 10 minutes). */
  timeoutMs?: number;
  /** Time between polls (default 2 s). */
  intervalMs?: number;
  signal?: AbortSignal;
}

export const FINISHED_STATUSES: ReadonlySet<string> = new Set(["succeeded", "failed"]);

type Result<T> = { data?: T; error?: unknown; response: Response };

export class HuntazeClient {
  /** The typed openapi-fetch client, authenticated and retrying, for any route of the API. */
  readonly api: Client<paths>;
  readonly #transport: (request: Request) => Promise<Response>;
  readonly #retry: RetryOptions | undefined;

  constructor(options: HuntazeClientOptions) {
    this.#transport = options.fetch ?? ((request: Request) => globalThis.fetch(request));
    this.#retry = options.retry;
    const fetch = retryingFetch(this.#transport, options.retry);
    this.api = createClient<paths>({ baseUrl: options.baseUrl.replace(/\/+$/, ""), fetch });
    this.api.use(bearer(options.token));
  }

  /**
   * Queue a job for its worker (what `dispatchWorker` did). Always sent with an
   * Idempotency-Key (a new UUID unless given), so a retried 503 can never queue it twice;
   * pass your own key to make a resubmission after a crash return the same job.
   */
  async submitJob(job: JobRequest, options: { idempotencyKey?: string } = {}): Promise<JobAccepted> {
    const key = options.idempotencyKey ?? crypto.randomUUID();
    return unwrap(await this.api.POST("/v1/jobs", { body: job, params: { header: { "Idempotency-Key": key } } }));
  }

  /** Ask for an upload ticket and PUT the video to it; the ticket (its `jobId` names the analysis job). */
  async uploadVideo(video: VideoUpload): Promise<UploadTicket> {
    const size = video.data instanceof Blob ? video.data.size : video.data.byteLength;
    const ticket = unwrap(
      await this.api.POST("/v1/uploads", {
        body: { filename: video.filename, contentType: video.contentType, size },
      }),
    );
    const body = video.data as BodyInit;
    const put = await retrying(
      () => this.#transport(new Request(ticket.uploadUrl, { method: ticket.method, headers: ticket.headers, body })),
      this.#retry,
    );
    if (!put.ok) throw new UploadFailedError(put.status, ticket.jobId, await put.text());
    await put.body?.cancel();
    return ticket;
  }

  /** A job of the caller: status, result, the worker's full output, webhook deliveries (another caller's: NotFoundError). */
  async getJob(jobId: string): Promise<Job> {
    return unwrap(await this.api.GET("/v1/jobs/{jobId}", { params: { path: { jobId } } }));
  }

  /** One page of the caller's jobs, newest first; pass `nextCursor` back as `cursor` for the next. */
  async listJobs(filter: JobFilter = {}): Promise<JobPage> {
    return unwrap(await this.api.GET("/v1/jobs", { params: { query: filter } }));
  }

  /** Every job of the caller that fits the filter, newest first, fetching pages as the loop asks. */
  async *jobs(filter: Omit<JobFilter, "cursor"> = {}): AsyncGenerator<Job> {
    let cursor: string | undefined;
    do {
      const page = await this.listJobs({ ...filter, ...(cursor ? { cursor } : {}) });
      yield* page.jobs;
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
  }

  /** Poll a job until it succeeded or failed (what the `/api/workers/status` route was polled for). */
  async waitForJob(jobId: string, options: WaitOptions = {}): Promise<Job> {
    const deadline = Date.now() + (options.timeoutMs ?? 600_000);
    for (;;) {
      const job = await this.getJob(jobId);
      if (job.status && FINISHED_STATUSES.has(job.status)) return job;
      if (Date.now() >= deadline) throw new JobWaitTimeoutError(jobId, job.status);
      await abortableSleep(options.intervalMs ?? 2_000, options.signal);
    }
  }

  /** Send a prompt to the model of its `type`. */
  async routeAi(request: AiRouteRequest): Promise<AiRouteResponse> {
    return unwrap(await this.api.POST("/v1/ai/route", { body: request }));
  }
}

export function createHuntazeClient(options: HuntazeClientOptions): HuntazeClient {
  return new HuntazeClient(options);
}

function bearer(token: HuntazeClientOptions["token"]): Middleware {
  return {
    async onRequest({ request }) {
      const value = typeof token === "function" ? await token() : token;
      request.headers.set("Authorization", `Bearer ${value}`);
      return request;
    },
  };
}

function unwrap<T>(result: Result<T>): T {
  const { data, error, response } = result;
  if (response.ok && error === undefined) return data as T;
  throw apiError(response.status, error, retryAfterMs(response.headers.get("retry-after")));
}
