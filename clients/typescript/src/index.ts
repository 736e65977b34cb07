export { createHuntazeClient, FINISHED_STATUSES, HuntazeClient } from "./client.ts";
export type { HuntazeClientOptions, VideoUpload, WaitOptions } from "./client.ts";
export * from "./errors.ts";
export type { components, paths, webhooks } from "./generated/openapi.ts";
export { RETRIED_STATUSES, retryAfterMs, retrying, retryingFetch } from "./retry.ts";
export type { RetryOptions } from "./retry.ts";
export type * from "./types.ts";
export { verifyWebhook, webhookHandler, WebhookVerificationError } from "./webhooks.ts";
export type { VerifiedWebhook, WebhookEvent, WebhookEventType, WebhookHandlerOptions } from "./webhooks.ts";
