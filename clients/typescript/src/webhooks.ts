/**
 * Verifying the API's completion webhooks (Standard Webhooks, signed with the endpoint's
 * `whsec_...` secret) in a Next.js App Router route handler, or anything else that takes a
 * web `Request`.
 *
 *   // app/api/webhooks/huntaze/route.ts
 *   export const POST = webhookHandler({ secret: process.env.HUNTAZE_WEBHOOK_SECRET!, onEvent });
 *
 * The signature covers the raw body, so the body is read as text, verified by the
 * `standardwebhooks` library (HMAC and a five-minute timestamp tolerance against replays),
 * and only then parsed. The event types come from the OpenAPI document's `webhooks`.
 */
import { Webhook, WebhookVerificationError } from "standardwebhooks";

import type { webhooks } from "./generated/openapi.ts";

export { WebhookVerificationError };

type Body<Operation> = Operation extends { post: { requestBody: { content: { "application/json": infer B } } } }
  ? B
  : never;

/** Every event the API posts, told apart by `type` (`job.succeeded`, `job.failed`). */
export type WebhookEvent = { [Name in keyof webhooks]: Body<webhooks[Name]> }[keyof webhooks];
export type WebhookEventType = WebhookEvent extends { type: infer T } ? T : never;

export interface VerifiedWebhook {
  /** `webhook-id`: the same on every retry of one event; deduplicate on it. */
  id: string;
  event: WebhookEvent;
}

/** The verified event of a webhook request; throws WebhookVerificationError if it is not signed with `secret`. */
export async function verifyWebhook(request: Request, secret: string): Promise<VerifiedWebhook> {
  const body = await request.text();
  const headers = {
    "webhook-id": request.headers.get("webhook-id") ?? "",
    "webhook-timestamp": request.headers.get("webhook-timestamp") ?? "",
    "webhook-signature": request.headers.get("webhook-signature") ?? "",
  };
  const event = new Webhook(secret).verify(body, headers) as WebhookEvent;
  return { id: headers["webhook-id"], event };
}

export interface WebhookHandlerOptions {
  /** The endpoint's signing secret (`whsec_...`), or a function that reads it per request. */
  secret: string | (() => string);
  /** Called once per verified delivery; throw to answer 500, so the API retries with the same id. */
  onEvent: (event: WebhookEvent, delivery: { id: string }) => void | Promise<void>;
}

/**
 * A route handler: 204 once `onEvent` is done, 401 for a request that is not signed with
 * the secret (or is older than the tolerance), 400 for a signed body that is not JSON, 500
 * (retried by the API) when `onEvent` throws.
 */
export function webhookHandler(options: WebhookHandlerOptions): (request: Request) => Promise<Response> {
  return async (request: Request) => {
    let verified: VerifiedWebhook;
    try {
      verified = await verifyWebhook(request, typeof options.secret === "function" ? options.secret() : options.secret);
    } catch (error) {
      if (error instanceof WebhookVerificationError) return problem(401, "invalid_signature", error.message);
      if (error instanceof SyntaxError) return problem(400, "malformed_json", "the signed body is not JSON");
      throw error;
    }
    try {
      await options.onEvent(verified.event, { id: verified.id });
    } catch (error) {
      console.error(`webhook ${verified.id}: handler failed`, error);
      return problem(500, "handler_failed", "the event was not handled; it will be retried");
    }
    return new Response(null, { status: 204 });
  };
}

function problem(status: number, error: string, detail: string): Response {
  return Response.json({ error, detail }, { status });
}
