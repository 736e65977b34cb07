/**
 * The done-when of the webhooks, through the client: a clip uploaded with the client ends in
 * a signed `job.succeeded` at the receiver (test/e2e/receiver.ts, the local system's
 * LOCAL_WEBHOOK_URL), which the helper verifies; the job is then listed. A tampered copy
 * of that delivery is rejected.
 */
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { setTimeout as sleep } from "node:timers/promises";
import { describe, it } from "node:test";

import { createHuntazeClient, verifyWebhook, WebhookVerificationError } from "../../src/index.ts";
import { required } from "./env.ts";
import type { Delivery } from "./receiver.ts";

const client = createHuntazeClient({ baseUrl: required("HUNTAZE_API_URL"), token: required("HUNTAZE_TOKEN") });
const receiverUrl = required("HUNTAZE_RECEIVER_URL");
const secret = async () => (await readFile(required("HUNTAZE_WEBHOOK_SECRET_FILE"), "utf8")).trim();

async function deliveryFor(jobId: string, withinMs = 90_000): Promise<Delivery> {
  const deadline = Date.now() + withinMs;
  for (;;) {
    const all = (await (await fetch(new URL("/deliveries", receiverUrl))).json()) as Delivery[];
    const found = all.find((d) => d.body.includes(jobId));
    if (found) return found;
    assert.ok(Date.now() < deadline, `no webhook for job ${jobId} within ${withinMs} ms; got ${JSON.stringify(all)}`);
    await sleep(200);
  }
}

function asRequest(delivery: Delivery, change: { headers?: Record<string, string>; body?: string } = {}): Request {
  const signed = ["content-type", "webhook-id", "webhook-timestamp", "webhook-signature"];
  const headers = { ...Object.fromEntries(signed.map((name) => [name, delivery.headers[name] ?? ""])), ...change.headers };
  return new Request(receiverUrl, { method: "POST", headers, body: change.body ?? delivery.body });
}

describe("completion webhooks through the client", () => {
  let delivery: Delivery;

  it("an uploaded clip's job.succeeded arrives signed, the helper verifies it, and the job is listed", async () => {
    // Given a clip uploaded through the client
    const clip = await readFile(required("HUNTAZE_CLIP"));
    const ticket = await client.uploadVideo({ filename: "hooked.mp4", contentType: "video/mp4", data: clip });

    // When the job's webhook has reached the receiver
    delivery = await deliveryFor(ticket.jobId);

    // Then the receiver's route handler (webhookHandler) accepted it ...
    assert.equal(delivery.status, 204, JSON.stringify(delivery));
    assert.match(delivery.headers["webhook-id"] ?? "", /^msg_[A-Za-z0-9]+$/);
    // ... and verifying it again gives a job.succeeded for this job
    const verified = await verifyWebhook(asRequest(delivery), await secret());
    assert.equal(verified.id, delivery.headers["webhook-id"]);
    assert.equal(verified.event.type, "job.succeeded");
    assert.equal(verified.event.data.jobId, ticket.jobId);
    assert.equal(verified.event.data.task, "video");
    assert.equal(verified.event.data.status, "succeeded");

    // And the caller's succeeded video jobs list it, as GET /v1/jobs/{id} tells
    const listed = [];
    for await (const job of client.jobs({ task: "video", status: "succeeded" })) listed.push(job.jobId);
    assert.ok(listed.includes(ticket.jobId), `${ticket.jobId} not in ${listed}`);
    assert.equal((await client.getJob(ticket.jobId)).status, "succeeded");
  });

  it("a tampered copy of that delivery is rejected by the helper and by the route handler", async () => {
    // Given the genuine delivery (from the test above)
    assert.ok(delivery, "the delivery of the first test");
    const signature = delivery.headers["webhook-signature"] ?? "";
    const [version, mac = ""] = signature.split(",");
    const forged = `${version},${mac.startsWith("A") ? "B" : "A"}${mac.slice(1)}`;

    // When its signature, then its body, is changed
    // Then the helper refuses both, and the receiver answers 401 to the forged signature
    await assert.rejects(
      verifyWebhook(asRequest(delivery, { headers: { "webhook-signature": forged } }), await secret()),
      WebhookVerificationError,
    );
    const body = delivery.body.replace('"job.succeeded"', '"job.failed"');
    assert.notEqual(body, delivery.body);
    await assert.rejects(verifyWebhook(asRequest(delivery, { body }), await secret()), WebhookVerificationError);
    const answer = await fetch(asRequest(delivery, { headers: { "webhook-signature": forged } }));
    assert.equal(answer.status, 401);
  });
});
