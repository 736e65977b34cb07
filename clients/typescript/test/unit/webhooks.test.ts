/** The webhook helper against deliveries signed the Standard Webhooks way, and ones that are not. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Webhook } from "standardwebhooks";

import { verifyWebhook, type WebhookEvent, webhookHandler, WebhookVerificationError } from "../../src/index.ts";

const SECRET = `whsec_${Buffer.from("a local test secret of 32 bytes!").toString("base64")}`;
const OTHER_SECRET = `whsec_${Buffer.from("another secret, also 32 bytes ok").toString("base64")}`;
const EVENT: WebhookEvent = {
  type: "job.succeeded",
  timestamp: "2026-11-30T10:00:00Z",
  data: {
    jobId: "0b9f3c1e-6f0e-4a63-9d9a-1c5d0e0f7a11",
    task: "video",
    status: "succeeded",
    attempts: 1,
    result: { analysisId: "a-1" },
    createdAt: "2026-11-30T09:59:00Z",
    finishedAt: "2026-11-30T10:00:00Z",
  },
};

function delivery(options: { secret?: string; body?: string; at?: Date; id?: string; tamper?: (h: Headers) => void } = {}) {
  const body = options.body ?? JSON.stringify(EVENT);
  const at = options.at ?? new Date();
  const id = options.id ?? "msg_2b7c1e";
  const headers = new Headers({
    "content-type": "application/json",
    "webhook-id": id,
    "webhook-timestamp": String(Math.floor(at.getTime() / 1000)),
    "webhook-signature": new Webhook(options.secret ?? SECRET).sign(id, at, body),
  });
  options.tamper?.(headers);
  return new Request("http://app.local/api/webhooks/huntaze", { method: "POST", headers, body });
}

describe("verifyWebhook", () => {
  it("returns the event and its message id for a delivery signed with the secret", async () => {
    const verified = await verifyWebhook(delivery(), SECRET);

    assert.equal(verified.id, "msg_2b7c1e");
    assert.deepEqual(verified.event, EVENT);
  });

  it("rejects every tampered or foreign delivery", async () => {
    // Tried: a changed body, a changed signature, another id, a replayed old timestamp,
    // another endpoint's secret, and no signature at all
    const changedBody = delivery({ body: JSON.stringify(EVENT) });
    const forged = new Request(changedBody, { body: JSON.stringify({ ...EVENT, type: "job.failed" }) });
    const cases: Record<string, Request> = {
      body: forged,
      signature: delivery({ tamper: (h) => h.set("webhook-signature", flipLastChar(h.get("webhook-signature") ?? "")) }),
      id: delivery({ tamper: (h) => h.set("webhook-id", "msg_other") }),
      replayed: delivery({ at: new Date(Date.now() - 3_600_000) }),
      secret: delivery({ secret: OTHER_SECRET }),
      unsigned: delivery({ tamper: (h) => h.delete("webhook-signature") }),
    };
    for (const [what, request] of Object.entries(cases)) {
      await assert.rejects(verifyWebhook(request, SECRET), WebhookVerificationError, `a changed ${what} was accepted`);
    }
  });
});

describe("webhookHandler", () => {
  it("hands a verified event to onEvent once and answers 204", async () => {
    const seen: Array<[WebhookEvent, string]> = [];
    const POST = webhookHandler({ secret: SECRET, onEvent: (event, { id }) => void seen.push([event, id]) });

    const response = await POST(delivery());

    assert.equal(response.status, 204);
    assert.deepEqual(seen, [[EVENT, "msg_2b7c1e"]]);
  });

  it("answers 401 to a tampered delivery without calling onEvent", async () => {
    let called = false;
    const POST = webhookHandler({ secret: () => SECRET, onEvent: () => void (called = true) });

    const response = await POST(delivery({ tamper: (h) => h.set("webhook-timestamp", String(Math.floor(Date.now() / 1000) - 1)) }));

    assert.equal(response.status, 401);
    assert.equal(((await response.json()) as { error: string }).error, "invalid_signature");
    assert.equal(called, false);
  });

  it("answers 400 to a signed body that is not JSON, and 500 when onEvent throws (so the API retries)", async () => {
    const failing = webhookHandler({
      secret: SECRET,
      onEvent: () => {
        throw new Error("database down");
      },
    });
    const original = console.error;
    console.error = () => {};
    try {
      assert.equal((await failing(delivery({ body: "not json" }))).status, 400);
      assert.equal((await failing(delivery())).status, 500);
    } finally {
      console.error = original;
    }
  });
});

function flipLastChar(signature: string): string {
  const last = signature.at(-2) === "A" ? "B" : "A";
  return `${signature.slice(0, -2)}${last}${signature.slice(-1)}`;
}
