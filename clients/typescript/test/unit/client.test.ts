/** The client's calls against a scripted peer: what is sent, and the typed errors of what comes back. */
import assert from "node:assert/strict";
import { after, before, beforeEach, describe, it } from "node:test";

import {
  ApiError,
  BadRequestError,
  createHuntazeClient,
  JobWaitTimeoutError,
  NotFoundError,
  UnauthorizedError,
  UploadFailedError,
} from "../../src/index.ts";
import { type FakeServer, fakeServer } from "./fake-server.ts";

const JOB_ID = "0b9f3c1e-6f0e-4a63-9d9a-1c5d0e0f7a11";

describe("client", () => {
  let api: FakeServer;
  let s3: FakeServer;
  const client = (token: string | (() => Promise<string>) = "t0ken") =>
    createHuntazeClient({ baseUrl: `${api.url}/`, token, retry: { maxRetries: 0 } });

  before(async () => {
    [api, s3] = await Promise.all([fakeServer(), fakeServer()]);
  });
  after(() => Promise.all([api.close(), s3.close()]));
  beforeEach(() => {
    api.reset();
    s3.reset();
  });

  const ticket = () => ({
    jobId: JOB_ID,
    uploadUrl: `${s3.url}/uploads/${JOB_ID}/clip.mp4?X-Amz-Signature=abc`,
    method: "PUT",
    headers: { "Content-Type": "video/mp4", "x-amz-meta-job-id": JOB_ID },
    bucket: "uploads",
    key: `uploads/${JOB_ID}/clip.mp4`,
    expiresIn: 900,
  });

  it("uploads a video: the ticket asked with its size, then the bytes PUT with the ticket's headers and no token", async () => {
    // Given an API that issues a ticket and an S3 that takes the PUT
    api.answer({ status: 201, body: ticket() });
    s3.answer({ status: 200, body: "" });
    const bytes = new TextEncoder().encode("not really a video, but bytes");

    // When a video is uploaded
    const got = await client().uploadVideo({ filename: "clip.mp4", contentType: "video/mp4", data: bytes });

    // Then the ticket came back, the API was asked for exactly this file, and S3 got its bytes
    assert.equal(got.jobId, JOB_ID);
    assert.equal(api.seen[0]?.path, "/v1/uploads");
    assert.deepEqual(JSON.parse(api.seen[0]?.body ?? ""), {
      filename: "clip.mp4",
      contentType: "video/mp4",
      size: bytes.byteLength,
    });
    assert.equal(api.seen[0]?.headers.authorization, "Bearer t0ken");
    const put = s3.seen[0];
    assert.equal(put?.method, "PUT");
    assert.equal(put?.path, `/uploads/${JOB_ID}/clip.mp4?X-Amz-Signature=abc`);
    assert.equal(put?.body, "not really a video, but bytes");
    assert.equal(put?.headers["content-type"], "video/mp4");
    assert.equal(put?.headers["x-amz-meta-job-id"], JOB_ID);
    assert.equal(put?.headers.authorization, undefined);
  });

  it("an S3 503 on the PUT is retried with the whole file sent again", async () => {
    // Given an S3 that asks to slow down once
    api.answer({ status: 201, body: ticket() });
    s3.answer({ status: 503, headers: { "retry-after": "1" }, body: "<Error><Code>SlowDown</Code></Error>" }, { status: 200 });
    const waits: number[] = [];
    const retrying = createHuntazeClient({
      baseUrl: api.url,
      token: "t0ken",
      retry: { sleep: async (ms) => void waits.push(ms) },
    });

    // When a video is uploaded
    await retrying.uploadVideo({ filename: "clip.mp4", contentType: "video/mp4", data: new Blob(["the bytes"]) });

    // Then S3 got the bytes twice, after the wait it asked for
    assert.deepEqual(
      s3.seen.map((r) => r.body),
      ["the bytes", "the bytes"],
    );
    assert.deepEqual(waits, [1000]);
  });

  it("a refused PUT is an UploadFailedError naming the job", async () => {
    // Given an S3 that refuses the signature
    api.answer({ status: 201, body: ticket() });
    s3.answer({ status: 403, body: "<Error><Code>SignatureDoesNotMatch</Code></Error>" });

    // When a video is uploaded
    const failure = await client()
      .uploadVideo({ filename: "clip.mp4", contentType: "video/mp4", data: new Blob(["x"]) })
      .catch((e: unknown) => e);

    // Then the error says which job and what S3 said
    assert.ok(failure instanceof UploadFailedError, String(failure));
    assert.equal(failure.status, 403);
    assert.equal(failure.jobId, JOB_ID);
    assert.match(failure.responseText, /SignatureDoesNotMatch/);
  });

  it("an invalid request is a BadRequestError listing every problem", async () => {
    // Given the API's answer to a payload that does not fit
    const problems = [{ field: "payload.since", problem: "must be a string, got integer" }];
    api.answer({
      status: 400,
      body: { error: "invalid_request", detail: "'payload.since' must be a string", errors: problems },
    });

    // When the job is submitted
    const failure = await client()
      .submitJob({ task: "data", payload: { since: 5 as unknown as string } })
      .catch((e: unknown) => e);

    // Then the typed error carries the code and the problems
    assert.ok(failure instanceof BadRequestError, String(failure));
    assert.ok(failure instanceof ApiError);
    assert.equal(failure.code, "invalid_request");
    assert.deepEqual(failure.problems, problems);
  });

  it("API Gateway's own 401 is an UnauthorizedError", async () => {
    // Given the authorizer's answer, which is not the API's error shape
    api.answer({ status: 401, body: { message: "Unauthorized" } });

    // When a job is read
    const failure = await client().getJob(JOB_ID).catch((e: unknown) => e);

    // Then it is typed all the same
    assert.ok(failure instanceof UnauthorizedError, String(failure));
    assert.equal(failure.code, "unauthorized");
  });

  it("a job that is not the caller's is a NotFoundError; the path carries the id", async () => {
    api.answer({ status: 404, body: { error: "not_found", detail: "no such job" } });

    await assert.rejects(client().getJob(JOB_ID), NotFoundError);
    assert.equal(api.seen[0]?.path, `/v1/jobs/${JOB_ID}`);
  });

  it("an answer that is not JSON still becomes an ApiError with its text", async () => {
    // Given a proxy's HTML error page
    api.answer({ status: 500, headers: { "content-type": "text/html" }, body: "<h1>Internal Server Error</h1>" });

    const failure = await client().getJob(JOB_ID).catch((e: unknown) => e);

    assert.ok(failure instanceof ApiError, String(failure));
    assert.equal(failure.code, "http_500");
    assert.match(failure.detail, /Internal Server Error/);
  });

  it("asks a token function for each request", async () => {
    // Given a token source that rotates
    let issued = 0;
    const token = async () => `token-${++issued}`;
    api.answer({ status: 200, body: { jobId: JOB_ID, status: "queued" } }, { status: 200, body: { jobId: JOB_ID } });

    // When two calls are made
    const c = client(token);
    await c.getJob(JOB_ID);
    await c.getJob(JOB_ID);

    // Then each carried a fresh token
    assert.deepEqual(
      api.seen.map((r) => r.headers.authorization),
      ["Bearer token-1", "Bearer token-2"],
    );
  });

  it("uses the caller's Idempotency-Key when given", async () => {
    api.answer({ status: 202, body: { jobId: JOB_ID } });

    await client().submitJob({ task: "trends", payload: {} }, { idempotencyKey: "order-42" });

    assert.equal(api.seen[0]?.headers["idempotency-key"], "order-42");
  });

  it("jobs() follows nextCursor page by page, keeping the filter", async () => {
    // Given two pages of video jobs
    const job = (n: number) => ({ jobId: `00000000-0000-4000-8000-00000000000${n}`, task: "video", status: "succeeded" });
    api.answer(
      { status: 200, body: { jobs: [job(3), job(2)], nextCursor: "c1" } },
      { status: 200, body: { jobs: [job(1)], nextCursor: null } },
    );

    // When every job is iterated
    const ids: string[] = [];
    for await (const j of client().jobs({ task: "video", limit: 2 })) ids.push(j.jobId ?? "");

    // Then both pages were read, the second from the first's cursor, with the same filter
    assert.deepEqual(ids.map((id) => id.at(-1)), ["3", "2", "1"]);
    assert.deepEqual(
      api.seen.map((r) => r.path),
      ["/v1/jobs?task=video&limit=2", "/v1/jobs?task=video&limit=2&cursor=c1"],
    );
  });

  it("waitForJob polls until the job finished, and an abort ends the wait", async () => {
    // Given a job that is queued, then running, then succeeded
    api.answer(
      { status: 200, body: { jobId: JOB_ID, status: "queued" } },
      { status: 200, body: { jobId: JOB_ID, status: "running" } },
      { status: 200, body: { jobId: JOB_ID, status: "succeeded", result: { ok: true } } },
    );

    // When it is waited for
    const job = await client().waitForJob(JOB_ID, { intervalMs: 1 });

    // Then the finished job comes back after three polls
    assert.equal(job.status, "succeeded");
    assert.equal(api.seen.length, 3);

    // And a wait on a job that never finishes ends when its signal aborts
    api.reset();
    api.answer(...Array.from({ length: 50 }, () => ({ status: 200, body: { jobId: JOB_ID, status: "running" } })));
    const controller = new AbortController();
    const waiting = client().waitForJob(JOB_ID, { intervalMs: 60_000, signal: controller.signal });
    controller.abort(new Error("page closed"));
    await assert.rejects(waiting, /page closed/);
  });

  it("waitForJob gives up at its timeout with the status it last saw", async () => {
    api.answer({ status: 200, body: { jobId: JOB_ID, status: "running" } });

    const failure = await client().waitForJob(JOB_ID, { timeoutMs: 0 }).catch((e: unknown) => e);

    assert.ok(failure instanceof JobWaitTimeoutError, String(failure));
    assert.equal(failure.lastStatus, "running");
    assert.equal(failure.jobId, JOB_ID);
  });
});
