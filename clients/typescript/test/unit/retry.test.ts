/** Retries of 503/429: what Retry-After asks, bounded, with the same request sent again. */
import assert from "node:assert/strict";
import { after, before, beforeEach, describe, it } from "node:test";

import { createHuntazeClient, RateLimitedError, retryAfterMs, UnavailableError } from "../../src/index.ts";
import { type FakeServer, fakeServer } from "./fake-server.ts";

const JOB_ID = "0b9f3c1e-6f0e-4a63-9d9a-1c5d0e0f7a11";
const UNAVAILABLE = { error: "queue_unavailable", detail: "SQS did not answer" };

describe("retries", () => {
  let server: FakeServer;
  let waits: number[];
  const client = (maxRetries = 3) =>
    createHuntazeClient({
      baseUrl: server.url,
      token: "t0ken",
      retry: { maxRetries, maxDelayMs: 10_000, sleep: async (ms) => void waits.push(ms) },
    });

  before(async () => {
    server = await fakeServer();
  });
  after(() => server.close());
  beforeEach(() => {
    server.reset();
    waits = [];
  });

  it("waits what Retry-After asks, then sends the same job with the same Idempotency-Key", async () => {
    // Given a 503 asking for 2 s, then an acceptance
    server.answer({ status: 503, headers: { "retry-after": "2" }, body: UNAVAILABLE }, { status: 202, body: { jobId: JOB_ID } });

    // When a job is submitted
    const accepted = await client().submitJob({ task: "trends", payload: {} });

    // Then it was accepted after one wait of 2 s, and both attempts were the same request
    assert.deepEqual(accepted, { jobId: JOB_ID });
    assert.deepEqual(waits, [2000]);
    assert.equal(server.seen.length, 2);
    const [first, second] = server.seen;
    assert.equal(second?.body, first?.body);
    assert.deepEqual(JSON.parse(second?.body ?? ""), { task: "trends", payload: {} });
    assert.ok(first?.headers["idempotency-key"]);
    assert.equal(second?.headers["idempotency-key"], first?.headers["idempotency-key"]);
  });

  it("gives up after maxRetries with a typed error, doubling the waits when no Retry-After is given", async () => {
    // Given a dependency that stays down and says nothing about when to come back
    server.answer(...Array.from({ length: 4 }, () => ({ status: 503, body: UNAVAILABLE })));

    // When a job is submitted with 3 retries allowed
    const failure = await client(3).submitJob({ task: "data", payload: {} }).catch((e: unknown) => e);

    // Then 4 attempts were made, with doubling waits, and the last answer is the error
    assert.ok(failure instanceof UnavailableError, String(failure));
    assert.equal(failure.code, "queue_unavailable");
    assert.equal(failure.status, 503);
    assert.equal(server.seen.length, 4);
    assert.deepEqual(waits, [500, 1000, 2000]);
  });

  it("does not wait out a Retry-After longer than maxDelayMs: the error carries it", async () => {
    // Given a daily AI budget spent until midnight (hours away)
    server.answer({
      status: 429,
      headers: { "retry-after": "30000" },
      body: { error: "ai_budget_exhausted", detail: "daily budget spent" },
    });

    // When a prompt is routed
    const failure = await client().routeAi({ type: "reasoning", prompt: "hi" }).catch((e: unknown) => e);

    // Then it fails at once, saying when to come back
    assert.ok(failure instanceof RateLimitedError, String(failure));
    assert.equal(failure.retryAfterMs, 30_000_000);
    assert.equal(server.seen.length, 1);
    assert.deepEqual(waits, []);
  });

  it("retries 429 within bounds like 503", async () => {
    // Given one 429 asking for 1 s
    server.answer(
      { status: 429, headers: { "retry-after": "1" }, body: { error: "throttled", detail: "slow down" } },
      { status: 200, body: { model: "m", output: "hello", usage: {} } },
    );

    // When a prompt is routed
    const answer = await client().routeAi({ type: "reasoning", prompt: "hi" });

    // Then the second attempt's answer is returned
    assert.equal(answer.output, "hello");
    assert.deepEqual(waits, [1000]);
  });

  it("does not retry other errors", async () => {
    // Given a 502 from the AI provider
    server.answer({ status: 502, body: { error: "azure_failed", detail: "bad gateway" } });

    // When a prompt is routed
    await assert.rejects(client().routeAi({ type: "reasoning", prompt: "hi" }), { name: "UpstreamError" });

    // Then one attempt was made
    assert.equal(server.seen.length, 1);
  });
});

describe("retryAfterMs", () => {
  it("reads delay-seconds and HTTP dates, and treats junk as absent", () => {
    const now = Date.parse("2026-11-30T10:00:00Z");
    // Tried: seconds, zero, an HTTP date 90 s ahead, a date in the past, empty, negative, fractional, words, null
    assert.equal(retryAfterMs("5", now), 5000);
    assert.equal(retryAfterMs("0", now), 0);
    assert.equal(retryAfterMs("Mon, 30 Nov 2026 10:01:30 GMT", now), 90_000);
    assert.equal(retryAfterMs("Mon, 30 Nov 2026 09:00:00 GMT", now), 0);
    assert.equal(retryAfterMs("", now), undefined);
    assert.equal(retryAfterMs("-5", now), undefined);
    assert.equal(retryAfterMs("1.5", now), undefined);
    assert.equal(retryAfterMs("soon", now), undefined);
    assert.equal(retryAfterMs(null, now), undefined);
  });
});
