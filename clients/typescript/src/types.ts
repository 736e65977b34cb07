/** Names for the generated OpenAPI types the client's callers use. */
import type { components, operations } from "./generated/openapi.ts";

type Schemas = components["schemas"];

export type Job = Schemas["Job"];
export type JobTask = NonNullable<Job["task"]>;
export type JobStatus = NonNullable<Job["status"]>;
export type JobRequest = Schemas["JobRequest"];
export type JobPage = Schemas["JobPage"];
/** `task`, `status`, `limit` (1 to 100) and `cursor` of GET /v1/jobs. */
export type JobFilter = NonNullable<operations["listJobs"]["parameters"]["query"]>;
export type JobAccepted = Schemas["JobAccepted"];
export type UploadRequest = Schemas["UploadRequest"];
export type UploadTicket = Schemas["UploadTicket"];
export type VideoContentType = UploadRequest["contentType"];
export type AiRouteRequest = Schemas["AiRouteRequest"];
export type AiRouteResponse = Schemas["AiRouteResponse"];
export type ErrorBody = Schemas["Error"];
export type Problem = Schemas["Problem"];
