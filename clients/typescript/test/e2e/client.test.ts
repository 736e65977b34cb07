/** The client against the local system (tools/local): real API front, S3, SQS and workers. */
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { describe, it } from "node:test";

import {
  BadRequestError,
  createHuntazeClient,
  ForbiddenError,
  NotFoundError,
  UnsupportedMediaTypeError,
} from "../../src/index.ts";
import { required } from "./env.ts";

const client = createHuntazeClient({ baseUrl: required("HUNTAZE_API_URL"), token: required("HUNTAZE_TOKEN") });

describe("the client against the local system", () => {
  it("uploads a clip in one call, and the job it names succeeds with the analysis", async () => {
    // Given a real clip
    const clip = await readFile(required("HUNTAZE_CLIP"));

    // When it is uploaded through the client and its job waited for
    const ticket = await client.uploadVideo({ filename: "my clip.mp4", contentType: "video/mp4", data: clip });
    const job = await client.waitForJob(ticket.jobId, { intervalMs: 200, timeoutMs: 90_000 });

    // Then the video worker analysed it
    assert.equal(job.status, "succeeded", JSON.stringify(job));
    assert.equal(job.task, "video");
    const result = job.result as { analysisId?: string; model?: string };
    assert.ok(result.analysisId, JSON.stringify(job));
    assert.ok(result.model);

    // And it is the newest of the caller's video jobs, one page of one at a time
    const page = await client.listJobs({ task: "video", limit: 1 });
    assert.equal(page.jobs.length, 1);
    assert.equal(page.jobs[0]?.jobId, ticket.jobId);
  });

  it("routes a prompt to the model of its type", async () => {
    // Given the local Azure AI stand-in
    // When a reasoning prompt is routed
    const answer = await client.routeAi({ type: "reasoning", prompt: "Summarise: local dev works" });

    // Then the stand-in's model answered
    assert.ok(answer.model);
    assert.match(answer.output, /local stub/);
  });

  it("a scheduled task queued without the operator scope is a ForbiddenError", async () => {
    const failure = await client.submitJob({ task: "trends", payload: {} }).catch((e: unknown) => e);

    assert.ok(failure instanceof ForbiddenError, String(failure));
    assert.equal(failure.code, "operator_scope_required");
  });

  it("bad requests come back typed, naming what is wrong", async () => {
    // Tried: a job id that is not a UUID, one that does not exist, a content type the stage does not take,
    // and a video job without its payload
    await assert.rejects(client.getJob("not-a-uuid"), (e: unknown) => e instanceof BadRequestError && e.code === "invalid_job_id");
    await assert.rejects(client.getJob(crypto.randomUUID()), NotFoundError);
    const wrongType = await client
      .uploadVideo({ filename: "clip.avi", contentType: "video/x-msvideo" as "video/mp4", data: new Uint8Array(10) })
      .catch((e: unknown) => e);
    assert.ok(wrongType instanceof BadRequestError || wrongType instanceof UnsupportedMediaTypeError, String(wrongType));
    const noPayload = await client.submitJob({ task: "video" } as never).catch((e: unknown) => e);
    assert.ok(noPayload instanceof BadRequestError, String(noPayload));
    assert.equal(noPayload.code, "invalid_request");
    assert.ok(noPayload.problems.some((p) => p.field === "payload"), JSON.stringify(noPayload.problems));
  });
});
