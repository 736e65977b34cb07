/** Names for the generated OpenAPI types the client's callers use. */
import type { components } from "./generated/openapi.ts";

type Schemas = components["schemas"];

export type Job = Schemas["Job"];
export type JobTask = NonNullable<Job["task"]>;
export type JobStatus = NonNullable<Job["status"]>;
export type JobRequest = Schemas["JobRequest"];
export type JobAccepted = Schemas["JobAccepted"];
export type UploadRequest = Schemas["UploadRequest"];
export type UploadTicket = Schemas["UploadTicket"];
export type VideoContentType = UploadRequest["contentType"];
export type AiRouteRequest = Schemas["AiRouteRequest"];
export type AiRouteResponse = Schemas["AiRouteResponse"];
export type ErrorBody = Schemas["Error"];
export type Problem = Schemas["Problem"];
