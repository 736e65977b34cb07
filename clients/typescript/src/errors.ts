/**
 * Typed errors: one class per kind of failure, so callers `catch` by `instanceof` instead of
 * comparing status codes. Every API error carries the API's stable `code` (its `error` field),
 * the human `detail`, the per-field `problems` of an `invalid_request`, and, when the API
 * said when to come back, `retryAfterMs`.
 */
import type { ErrorBody, Problem } from "./types.ts";

export class HuntazeError extends Error {
  override name = "HuntazeError";
}

export class ApiError extends HuntazeError {
  override name = "ApiError";
  readonly status: number;
  /** The API's machine code (`invalid_request`, `queue_unavailable`, ...); `unauthorized` for API Gateway's 401. */
  readonly code: string;
  readonly detail: string;
  readonly problems: readonly Problem[];
  /** From the Retry-After header, when the API sent one. */
  readonly retryAfterMs: number | undefined;
  readonly body: unknown;

  constructor(status: number, body: unknown, retryAfterMs: number | undefined) {
    const { code, detail, problems } = describe(status, body);
    super(`${status} ${code}: ${detail}`);
    this.status = status;
    this.code = code;
    this.detail = detail;
    this.problems = problems;
    this.retryAfterMs = retryAfterMs;
    this.body = body;
  }
}

/** 400: the request does not fit the schema (see `problems`), or is malformed. */
export class BadRequestError extends ApiError {
  override name = "BadRequestError";
}
/** 401: no token, or one API Gateway's authorizer refused. */
export class UnauthorizedError extends ApiError {
  override name = "UnauthorizedError";
}
/** 403: the token lacks a scope the request needs (`operator_scope_required`). */
export class ForbiddenError extends ApiError {
  override name = "ForbiddenError";
}
/** 404: no such resource for this caller (another caller's job is a 404 too). */
export class NotFoundError extends ApiError {
  override name = "NotFoundError";
}
/** 409: an Idempotency-Key reused with a different request. */
export class ConflictError extends ApiError {
  override name = "ConflictError";
}
/** 413: body, prompt, images or upload over this stage's limits. */
export class TooLargeError extends ApiError {
  override name = "TooLargeError";
}
/** 415: not JSON, or a video content type this stage does not take. */
export class UnsupportedMediaTypeError extends ApiError {
  override name = "UnsupportedMediaTypeError";
}
/** 422: the AI provider refused the prompt (`content_filtered`, `upstream_rejected`). */
export class RejectedError extends ApiError {
  override name = "RejectedError";
}
/** 429: rate or budget limit; still 429 after the client's retries, or a Retry-After longer than it waits. */
export class RateLimitedError extends ApiError {
  override name = "RateLimitedError";
}
/** 503: a dependency is unavailable; still 503 after the client's retries. */
export class UnavailableError extends ApiError {
  override name = "UnavailableError";
}
/** 502/504: the AI provider failed or timed out. */
export class UpstreamError extends ApiError {
  override name = "UpstreamError";
}

const BY_STATUS: Record<number, typeof ApiError> = {
  400: BadRequestError,
  401: UnauthorizedError,
  403: ForbiddenError,
  404: NotFoundError,
  409: ConflictError,
  413: TooLargeError,
  415: UnsupportedMediaTypeError,
  422: RejectedError,
  429: RateLimitedError,
  502: UpstreamError,
  503: UnavailableError,
  504: UpstreamError,
};

export function apiError(status: number, body: unknown, retryAfterMs: number | undefined): ApiError {
  const Kind = BY_STATUS[status] ?? ApiError;
  return new Kind(status, body, retryAfterMs);
}

/** The presigned PUT of an upload failed (S3's status and its XML error text). */
export class UploadFailedError extends HuntazeError {
  override name = "UploadFailedError";
  readonly status: number;
  readonly jobId: string;
  readonly responseText: string;

  constructor(status: number, jobId: string, responseText: string) {
    super(`upload of job ${jobId} failed: S3 answered ${status}`);
    this.status = status;
    this.jobId = jobId;
    this.responseText = responseText;
  }
}

/** `waitForJob` gave up before the job finished. */
export class JobWaitTimeoutError extends HuntazeError {
  override name = "JobWaitTimeoutError";
  readonly jobId: string;
  readonly lastStatus: string | undefined;

  constructor(jobId: string, lastStatus: string | undefined) {
    super(`job ${jobId} still ${lastStatus ?? "unknown"} when the wait ended`);
    this.jobId = jobId;
    this.lastStatus = lastStatus;
  }
}

function describe(status: number, body: unknown): { code: string; detail: string; problems: Problem[] } {
  if (isErrorBody(body)) return { code: body.error, detail: body.detail, problems: body.errors ?? [] };
  if (body && typeof body === "object" && typeof (body as { message?: unknown }).message === "string") {
    // API Gateway answers for itself (401 Unauthorized, 403 Forbidden) with {"message": ...}.
    const message = (body as { message: string }).message;
    return { code: message.toLowerCase().replaceAll(" ", "_"), detail: message, problems: [] };
  }
  const text = typeof body === "string" && body ? body.slice(0, 300) : `HTTP ${status}`;
  return { code: `http_${status}`, detail: text, problems: [] };
}

function isErrorBody(body: unknown): body is ErrorBody {
  return (
    !!body &&
    typeof body === "object" &&
    typeof (body as ErrorBody).error === "string" &&
    typeof (body as ErrorBody).detail === "string"
  );
}
