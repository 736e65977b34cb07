/**
 * The done-when of the webhooks, through the client: a clip uploaded with the client ends in
 * a signed `job.succeeded` at the receiver (test/e2e/receiver.ts, the local system's
 * LOCAL_WEBHOOK_URL), which the helper verifies; the job is then listed. A tampered copy
 * of that delivery is rejected. A delivery the receiver answers 500 comes again with the
 * same webhook-id.
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

/** The receiver's deliveries of a job's events, once `enough` says they are all there. */
async function deliveriesFor(jobId: string, enough: (ds: Delivery[]) => boolean, withinMs = 90_000): Promise<Delivery[]> {
  const deadline = Date.now() + withinMs;
  for (;;) {
    const all = (await (await fetch(new URL("/deliveries", receiverUrl))).json()) as Delivery[];
    const found = all.filter((d) => d.body.includes(jobId));
    if (enough(found)) return found;
    assert.ok(Date.now() < deadline, `deliveries for job ${jobId} within ${withinMs} ms: ${JSON.stringify(found)}`);
    await sleep(200);
  }
}

function asRequest(delivery: Delivery, change: { headers?: Record<string, string>; body?: string } = {}): Request {
  const signed = ["content-type", "webhook-id", "webhook-timestamp", "webhook-signature"];
  const headers = { ...Object.fromEntries(signed.map((name) => [name, delivery.headers[name] ?? ""])), ...change.headers };
  return new Request(receiverUrl, { method: "POST", headers, body: change.body ?? delivery.body });
}

describe("completion webhooks through the client", () => {
  let delivery: Delivery | undefined;

  it("an uploaded clip's job.succeeded arrives signed, the helper verifies it, and the job is listed", async () => {
    // Given a clip uploaded through the client
    const clip = await readFile(required("HUNTAZE_CLIP"));
    const ticket = await client.uploadVideo({ filename: "hooked.mp4", contentType: "video/mp4", data: clip });

    // When the job's webhook has reached the receiver
    [delivery] = await deliveriesFor(ticket.jobId, (ds) => ds.length > 0);

    // Then the receiver's route handler (webhookHandler) accepted it ...
    assert.ok(delivery);
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
    const genuine = delivery;
    const signature = genuine.headers["webhook-signature"] ?? "";
    const [version, mac = ""] = signature.split(",");
    const forged = `${version},${mac.startsWith("A") ? "B" : "A"}${mac.slice(1)}`;

    // When its signature, then its body, is changed
    // Then the helper refuses both, and the receiver answers 401 to the forged signature
    await assert.rejects(
      verifyWebhook(asRequest(genuine, { headers: { "webhook-signature": forged } }), await secret()),
      WebhookVerificationError,
    );
    const body = genuine.body.replace('"job.succeeded"', '"job.failed"');
    assert.notEqual(body, genuine.body);
    await assert.rejects(verifyWebhook(asRequest(genuine, { body }), await secret()), WebhookVerificationError);
    const answer = await fetch(asRequest(genuine, { headers: { "webhook-signature": forged } }));
    assert.equal(answer.status, 401);
  });

  it("a receiver that answers 500 gets the same message again, with the same webhook-id", async () => {
    // Given bytes that are no video, uploaded through the client: their job fails,
    // and the receiver's onEvent throws on the first delivery of a job.failed
    const ticket = await client.uploadVideo({
      filename: "notes.mp4",
      contentType: "video/mp4",
      data: new TextEncoder().encode("these are plain words, not a video ".repeat(40)),
    });

    // When the API has delivered its job.failed until the receiver took it
    const deliveries = await deliveriesFor(ticket.jobId, (ds) => ds.some((d) => d.status === 204));

    // Then the first delivery was answered 500, and the one taken carries the same message id and event
    const [first] = deliveries;
    const taken = deliveries.find((d) => d.status === 204);
    assert.ok(first && taken && first !== taken, JSON.stringify(deliveries));
    assert.equal(first.status, 500);
    assert.equal(taken.headers["webhook-id"], first.headers["webhook-id"]);
    const [before, after] = await Promise.all([first, taken].map(async (d) => verifyWebhook(asRequest(d), await secret())));
    assert.deepEqual(after?.event, before?.event);
    assert.equal(after?.event.type, "job.failed");
    assert.equal(after?.event.data.jobId, ticket.jobId);
    assert.ok(after?.event.data.errorReason, JSON.stringify(after?.event));
  });
});
