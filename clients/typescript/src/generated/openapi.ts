/**
 * Generated from docs/api/openapi.json by scripts/openapi-types.ts; do not edit.
 * Regenerate with `npm run generate` after the OpenAPI document changes.
 */

export interface paths {
    "/health": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Liveness check (no auth) */
        get: operations["health"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/ai/route": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Route a prompt to the model of its type (Azure AI Foundry) */
        post: operations["routeAi"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/analytics": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Rollups of an account or content item, by hour or day, one zero-filled series per event type
         * @description The data rollup job's hourly or daily rows for the account (or one content item), summed per bucket. Every bucket of the range is present (zeros where nothing happened), so a chart has no gaps. Events reach the rollups on the data job's next run (every 15 minutes). Answers are cached; a rollup that changes any of the account's rows makes the cached answers unreachable at once.
         */
        get: operations["getAnalytics"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/events": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Record a batch of analytics events
         * @description Each event is judged on its own: `accepted` (recorded now), `duplicate` (its `eventId` was already recorded for its account, or repeats in this batch) or `rejected` (with every problem, each naming its field). A rejected event never sinks the others. A caller writes only the accounts its token lists in the stage's accounts claim (config `events.accounts_claim`); a token with the operator scope writes any. An event older than the data rollups' look-back window, less an hour, is rejected: it would never be counted.
         */
        post: operations["ingestEvents"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/jobs": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * The caller's jobs, newest first, a page at a time
         * @description Only the jobs the caller created (POST /v1/jobs, POST /v1/uploads), whoever else may read them. Pages follow the order (createdAt, jobId) newest first and each starts strictly after the last job of the previous one, so jobs created while a client pages never repeat or shift a page; they appear on a fresh first page. `nextCursor` is null on the last page. Items carry `result` (the summary); GET /v1/jobs/{jobId} adds the worker's full `output`.
         */
        get: operations["listJobs"];
        put?: never;
        /**
         * Queue a job for a worker
         * @description The job belongs to the caller (the JWT `sub`). On a 503 `queue_unavailable` the job may or may not be queued: retry with the same Idempotency-Key to get the same job, queued.
         */
        post: operations["createJob"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/jobs/{jobId}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * A job's status and, once it succeeded, the worker's full output
         * @description A caller sees the jobs it created (POST /v1/jobs, POST /v1/uploads). Another caller's job is a 404, like one that does not exist, so job ids reveal nothing. Jobs no caller created (scheduled runs, uploads that reached S3 directly) have no owner: only a caller whose JWT carries the configured admin claim (router config `admin_claim` / `admin_claim_value`) sees them; such a caller sees every job.
         */
        get: operations["getJob"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/ops/alerts": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Every alert rule with its state and since-when, and the silences still on */
        get: operations["getAlertStates"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/ops/alerts/silences": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Silence one alert rule, or all of them (a maintenance window), with an expiry */
        post: operations["createSilence"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/trends": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * The latest trends snapshot (or one window's): rising and falling items, the sources, the AI summary
         * @description Any authenticated caller may read it. Poll with If-None-Match: an unchanged snapshot costs a 304.
         */
        get: operations["getTrends"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/uploads": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** A presigned S3 PUT for a video, and the job the upload will complete */
        post: operations["createUpload"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/usage": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * The caller's AI spend today and this month, and its budget left today
         * @description Every model call (this API's AI route, the caller's video analyses) is priced from the usage Azure reports. A caller with the operator scope also sees every caller's spend and the stage's.
         */
        get: operations["getUsage"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
}
export interface webhooks {
    "job.failed": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * A job failed for good
         * @description Sent to each endpoint the stage config subscribes to this event type, signed per the Standard Webhooks specification. Answer 2xx within 15 s to acknowledge. Anything else (another status, a timeout, a refused connection) is retried with exponential back-off over about a day (5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h), always with the same `webhook-id`; the last failure goes to the notifier's dead-letter queue.
         */
        post: operations["onJobFailed"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "job.succeeded": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * A job succeeded
         * @description Sent to each endpoint the stage config subscribes to this event type, signed per the Standard Webhooks specification. Answer 2xx within 15 s to acknowledge. Anything else (another status, a timeout, a refused connection) is retried with exponential back-off over about a day (5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h), always with the same `webhook-id`; the last failure goes to the notifier's dead-letter queue.
         */
        post: operations["onJobSucceeded"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
}
export interface components {
    schemas: {
        /**
         * @description A prompt for the model chosen by `type`; only the multimodal model's types take `images`.
         * @example {
         *       "prompt": "Summarise this caption",
         *       "type": "reasoning"
         *     }
         */
        AiRouteRequest: components["schemas"]["TextAiRouteRequest"] | components["schemas"]["VisionAiRouteRequest"];
        AiRouteResponse: {
            cached?: boolean;
            model: string;
            /** @description The answer, without any reasoning. */
            output: string;
            /** @description DeepSeek-R1's reasoning, kept apart. */
            reasoning?: string | null;
            usage: {
                completion_tokens?: number;
                prompt_tokens?: number;
                total_tokens?: number;
            };
        };
        /**
         * @description A alerts job.
         * @example {
         *       "task": "alerts",
         *       "payload": {
         *         "rules": [
         *           "views-drop"
         *         ]
         *       }
         *     }
         */
        AlertsJobRequest: {
            /** @description The task's input. */
            payload?: components["schemas"]["AlertsPayload"] | null;
            /**
             * @description Which worker runs it. (enum property replaced by openapi-typescript)
             * @enum {string}
             */
            task: "alerts";
        };
        /**
         * @description Evaluate alert rules now.
         * @example {
         *       "rules": [
         *         "views-drop"
         *       ]
         *     }
         */
        AlertsPayload: {
            /**
             * @description Rule names (default: all enabled).
             * @example [
             *       "views-drop"
             *     ]
             */
            rules?: string[] | null;
        };
        AlertStates: {
            rules: {
                channels: string[];
                enabled: boolean;
                /** Format: date-time */
                evaluatedAt?: string | null;
                /** Format: date-time */
                firingSince?: string | null;
                kind: string;
                message?: string | null;
                name: string;
                runbook?: string | null;
                /** @enum {string} */
                severity: "critical" | "warning";
                silenced: boolean;
                /** Format: date-time */
                since?: string | null;
                /** @enum {string} */
                state: "unknown" | "ok" | "pending" | "firing" | "no_data" | "error";
                value?: string | null;
            }[];
            silences: components["schemas"]["Silence"][];
        };
        Analytics: {
            accountId: string;
            contentId?: string | null;
            /**
             * Format: date-time
             * @description The first bucket's start.
             */
            from: string;
            /** @enum {string} */
            granularity: "hour" | "day";
            /** @description One per asked event type, in the order asked. */
            series: {
                /** @description Every bucket of the range, in order; one with no events has zeros. */
                buckets: {
                    /** @description Events counted. */
                    count: number;
                    /** Format: date-time */
                    start: string;
                    /** @description Sum of their `value`. */
                    value: number;
                }[];
                eventType: string;
                total: {
                    /** @description Events counted. */
                    count: number;
                    /** @description Sum of their `value`. */
                    value: number;
                };
            }[];
            /**
             * Format: date-time
             * @description The end of the last bucket.
             */
            to: string;
        };
        /**
         * @description A data job.
         * @example {
         *       "task": "data",
         *       "payload": {
         *         "since": "2026-03-01T00:00:00Z",
         *         "until": "2026-03-02T00:00:00Z"
         *       }
         *     }
         */
        DataJobRequest: {
            /** @description The task's input. */
            payload?: components["schemas"]["DataPayload"] | null;
            /**
             * @description Which worker runs it. (enum property replaced by openapi-typescript)
             * @enum {string}
             */
            task: "data";
        };
        /**
         * @description Roll analytics events up now. `until` requires `since`.
         * @example {
         *       "since": "2026-03-01T00:00:00Z",
         *       "until": "2026-03-02T00:00:00Z"
         *     }
         */
        DataPayload: {
            /**
             * @description Re-aggregate from this time (ISO 8601 with zone). No NUL characters or lone UTF-16 surrogates.
             * @example 2026-03-01T00:00:00Z
             */
            since?: string | null;
            /**
             * @description Up to this time (ISO 8601 with zone). No NUL characters or lone UTF-16 surrogates.
             * @example 2026-03-02T00:00:00Z
             */
            until?: string | null;
        };
        /**
         * @example {
         *       "error": "invalid_request",
         *       "detail": "'prompt' must be a string, got integer; 'type' must be a string, got array",
         *       "errors": [
         *         {
         *           "field": "prompt",
         *           "problem": "must be a string, got integer"
         *         },
         *         {
         *           "field": "type",
         *           "problem": "must be a string, got array"
         *         }
         *       ]
         *     }
         */
        Error: {
            /** @description What went wrong, for humans. */
            detail: string;
            /** @description Stable machine code. */
            error: string;
            /** @description With `invalid_request`: every bad field, each with what is wrong with it. */
            errors?: components["schemas"]["Problem"][];
        };
        /**
         * @description One analytics event. `eventType` must be one of this stage's event types; `occurredAt` no older than the data rollups' look-back window (less one hour) and no more than 5 minutes ahead.
         * @example {
         *       "eventId": "3f1c2a9e-7d41-4c8e-9a55-1b2f0c6d8e70",
         *       "accountId": "acct-42",
         *       "contentId": "post-9001",
         *       "eventType": "view",
         *       "value": 1,
         *       "occurredAt": "2026-11-30T08:00:00Z"
         *     }
         */
        Event: {
            /**
             * @description The account the event belongs to: one the caller's token lists, or any for an operator. No NUL characters or lone UTF-16 surrogates.
             * @example acct-42
             */
            accountId: string;
            /**
             * @description The content item. No NUL characters or lone UTF-16 surrogates.
             * @example post-9001
             */
            contentId: string;
            /**
             * @description The client's id for the event, unique within its account: a resent event with the same id is a duplicate. No NUL characters or lone UTF-16 surrogates.
             * @example 3f1c2a9e-7d41-4c8e-9a55-1b2f0c6d8e70
             */
            eventId: string;
            /**
             * @description One of this stage's event types. No NUL characters or lone UTF-16 surrogates.
             * @example view
             */
            eventType: string;
            /**
             * @description When it happened (RFC 3339, with a zone). No NUL characters or lone UTF-16 surrogates.
             * @example 2026-11-30T08:00:00Z
             */
            occurredAt: string;
            /**
             * @description What the event counts (default 1).
             * @example 1
             */
            value?: number | null;
        };
        /**
         * @description Analytics events to record. Each is checked on its own against `Event`: one that does not fit is reported as rejected in the answer, and the others are still recorded.
         * @example {
         *       "events": [
         *         {
         *           "eventId": "3f1c2a9e-7d41-4c8e-9a55-1b2f0c6d8e70",
         *           "accountId": "acct-42",
         *           "contentId": "post-9001",
         *           "eventType": "view",
         *           "value": 1,
         *           "occurredAt": "2026-11-30T08:00:00Z"
         *         }
         *       ]
         *     }
         */
        EventBatch: {
            /**
             * @description 1 to 1000 events, at most 1000000 bytes of body in all.
             * @example [
             *       {
             *         "eventId": "3f1c2a9e-7d41-4c8e-9a55-1b2f0c6d8e70",
             *         "accountId": "acct-42",
             *         "contentId": "post-9001",
             *         "eventType": "view",
             *         "value": 1,
             *         "occurredAt": "2026-11-30T08:00:00Z"
             *       }
             *     ]
             */
            events: Record<string, never>[];
        };
        EventBatchResult: {
            /** @description Events recorded by this request. */
            accepted: number;
            /** @description Events already recorded (an earlier batch) or repeated in this one: not counted again. */
            duplicates: number;
            /** @description Events refused; see their `errors`. */
            rejected: number;
            /** @description One per event, in the order sent. */
            results: {
                /** @description With `rejected`: every problem, each naming its field (`events[3].occurredAt`). */
                errors?: components["schemas"]["Problem"][];
                /** @description The event's `eventId`, when it sent one. */
                eventId?: string;
                /** @description The event's position in `events`. */
                index: number;
                /** @enum {string} */
                status: "accepted" | "duplicate" | "rejected";
            }[];
        };
        /**
         * @example {
         *       "message": "Forbidden"
         *     }
         */
        Forbidden: {
            /** @enum {string} */
            message: "Forbidden";
        };
        Health: {
            /** @enum {string} */
            status?: "ok";
        };
        Job: {
            attempts: number;
            /** Format: date-time */
            createdAt: string;
            error?: string | null;
            errorReason?: string | null;
            /** Format: date-time */
            finishedAt?: string | null;
            /** Format: uuid */
            jobId: string;
            /** @description GET /v1/jobs/{jobId} only: what the worker stored beyond its summary (a video's analysis and features, a trends run's snapshot); null until it has stored it, and for tasks that store nothing more than `result`. */
            output?: (components["schemas"]["VideoJobOutput"] | components["schemas"]["TrendsJobOutput"]) | null;
            /** @description The job's input, as its worker reads it. */
            payload: Record<string, never>;
            /** @description The worker's result summary. */
            result?: unknown;
            /** Format: date-time */
            startedAt?: string | null;
            /** @enum {string} */
            status: "queued" | "running" | "succeeded" | "failed";
            /** @enum {string} */
            task: "video" | "trends" | "data" | "alerts" | "imports";
            /** Format: date-time */
            updatedAt: string;
            /** @description GET /v1/jobs/{jobId} only: the job's completion webhooks, one per event and endpoint, each with every attempt at it (oldest first). */
            webhooks?: components["schemas"]["WebhookDelivery"][];
        };
        JobAccepted: {
            /** Format: uuid */
            jobId: string;
        };
        /** @description Posted when a job failed for good (a permanent error, or its retries ran out; `errorReason` says which). */
        JobFailedEvent: {
            data: {
                attempts: number;
                /** Format: date-time */
                createdAt: string;
                error?: string | null;
                errorReason?: string | null;
                /** Format: date-time */
                finishedAt: string;
                /** Format: uuid */
                jobId: string;
                /** @description The worker's result summary (as on the Job). */
                result?: unknown;
                /** @enum {string} */
                status: "failed";
                /** @enum {string} */
                task: "video" | "trends" | "data" | "alerts" | "imports";
            };
            /**
             * Format: date-time
             * @description When the job finished.
             */
            timestamp: string;
            /** @enum {string} */
            type: "job.failed";
        };
        JobPage: {
            jobs: components["schemas"]["Job"][];
            /** @description Pass as `cursor` for the next page; null on the last page. */
            nextCursor: string | null;
        };
        /**
         * @description A unit of async work; `task` says which worker runs it and which shape `payload` has.
         * @example {
         *       "task": "video",
         *       "payload": {
         *         "key": "uploads/0b9f3c1e-6f0e-4a63-9d9a-1c5d0e0f7a11/clip.mp4"
         *       }
         *     }
         */
        JobRequest: components["schemas"]["VideoJobRequest"] | components["schemas"]["TrendsJobRequest"] | components["schemas"]["DataJobRequest"] | components["schemas"]["AlertsJobRequest"];
        /** @description Posted when a job succeeded. */
        JobSucceededEvent: {
            data: {
                attempts: number;
                /** Format: date-time */
                createdAt: string;
                error?: string | null;
                errorReason?: string | null;
                /** Format: date-time */
                finishedAt: string;
                /** Format: uuid */
                jobId: string;
                /** @description The worker's result summary (as on the Job). */
                result?: unknown;
                /** @enum {string} */
                status: "succeeded";
                /** @enum {string} */
                task: "video" | "trends" | "data" | "alerts" | "imports";
            };
            /**
             * Format: date-time
             * @description When the job finished.
             */
            timestamp: string;
            /** @enum {string} */
            type: "job.succeeded";
        };
        Problem: {
            /** @description Path of the field: `prompt`, `payload.since`, `images[2]`. */
            field: string;
            /** @description What is wrong with it. */
            problem: string;
        };
        Silence: {
            /** Format: date-time */
            endsAt: string;
            id: number;
            reason: string;
            rule?: string | null;
            /** Format: date-time */
            startsAt: string;
        };
        /**
         * @description Mute one rule, or every rule (a maintenance window), until the silence expires.
         * @example {
         *       "rule": "failed-jobs",
         *       "hours": 2,
         *       "reason": "DLQ redrive under way"
         *     }
         */
        SilenceRequest: {
            /**
             * @description How long, from now.
             * @example 2
             */
            hours: number;
            /**
             * @description Why (shown with the silence). No NUL characters or lone UTF-16 surrogates.
             * @example DLQ redrive under way
             */
            reason: string;
            /**
             * @description The rule to mute; absent: every rule (a maintenance window). No NUL characters or lone UTF-16 surrogates.
             * @example failed-jobs
             */
            rule?: string | null;
        };
        /**
         * @description A prompt for a text-only model.
         * @example {
         *       "prompt": "Summarise this caption",
         *       "type": "reasoning"
         *     }
         */
        TextAiRouteRequest: {
            /** @description Most tokens to generate. */
            max_tokens?: number | null;
            /**
             * @description The user prompt. No NUL characters or lone UTF-16 surrogates.
             * @example Summarise this caption
             */
            prompt: string;
            /** @description Sampling temperature; 0 makes the answer cacheable. */
            temperature?: number | null;
            /**
             * @description reasoning -> DeepSeek-R1, generation -> DeepSeek-V3; vision, chat and default -> Phi-4-multimodal-instruct. (enum property replaced by openapi-typescript)
             * @enum {string}
             */
            type: "reasoning" | "generation";
        };
        Trends: {
            /** @description True when no source had an earlier window to compare with: no growth yet. */
            baseline: boolean;
            /** Format: date-time */
            createdAt: string;
            falling: {
                change: number;
                /** @description 0..1: how sure the move is (see the trends worker). */
                confidence: number;
                /** @description The count now. */
                current: number;
                /** @description `kind:name@scale`. */
                item: string;
                /** @description hashtag, sound, topic... */
                kind: string;
                name: string;
                /** @description The count in each answering source's previous window. */
                previous: number;
                /** @description change / previous; null when previous is 0. */
                ratio?: number | null;
                /** @description What is counted: mentions, views, posts, searches. */
                scale: string;
                /** @description The sources it was measured in. */
                sources?: string[];
            }[];
            model?: string | null;
            rising: {
                change: number;
                /** @description 0..1: how sure the move is (see the trends worker). */
                confidence: number;
                /** @description The count now. */
                current: number;
                /** @description `kind:name@scale`. */
                item: string;
                /** @description hashtag, sound, topic... */
                kind: string;
                name: string;
                /** @description The count in each answering source's previous window. */
                previous: number;
                /** @description change / previous; null when previous is 0. */
                ratio?: number | null;
                /** @description What is counted: mentions, views, posts, searches. */
                scale: string;
                /** @description The sources it was measured in. */
                sources?: string[];
            }[];
            sources: {
                answered: string[];
                failed: {
                    reason?: string;
                    source?: string;
                }[];
            };
            /** @description The AI summary of the movers. */
            summary: string | null;
            /**
             * Format: date-time
             * @description The window's start.
             */
            window: string;
        };
        /** @description A trends run's snapshot of its window. */
        TrendsJobOutput: {
            growth?: {
                [key: string]: unknown;
            };
            items: {
                [key: string]: unknown;
            }[];
            /**
             * @description discriminator enum property added by openapi-typescript
             * @enum {string}
             */
            kind: "trends";
            model?: string | null;
            sourceErrors?: {
                [key: string]: unknown;
            }[];
            summary?: string | null;
            /** Format: date-time */
            windowStart: string;
        };
        /**
         * @description A trends job.
         * @example {
         *       "task": "trends",
         *       "payload": {
         *         "sources": [
         *           "tiktok"
         *         ]
         *       }
         *     }
         */
        TrendsJobRequest: {
            /** @description The task's input. */
            payload?: components["schemas"]["TrendsPayload"] | null;
            /**
             * @description Which worker runs it. (enum property replaced by openapi-typescript)
             * @enum {string}
             */
            task: "trends";
        };
        /**
         * @description Collect a trend snapshot now.
         * @example {
         *       "sources": [
         *         "tiktok"
         *       ]
         *     }
         */
        TrendsPayload: {
            /**
             * @description Source names (default: all configured).
             * @example [
             *       "tiktok"
             *     ]
             */
            sources?: string[] | null;
        };
        /**
         * @example {
         *       "message": "Unauthorized"
         *     }
         */
        Unauthorized: {
            /** @enum {string} */
            message: "Unauthorized";
        };
        /**
         * @description A video the client is about to upload.
         * @example {
         *       "filename": "clip.mp4",
         *       "contentType": "video/mp4",
         *       "size": 10485760
         *     }
         */
        UploadRequest: {
            /**
             * @description The MIME type the upload must carry.
             * @example video/mp4
             * @enum {string}
             */
            contentType: "video/mp4" | "video/quicktime" | "video/webm";
            /**
             * @description The file's name (used, sanitized, in the object key). No NUL characters or lone UTF-16 surrogates.
             * @example clip.mp4
             */
            filename: string;
            /**
             * @description Exact size in bytes the upload must have.
             * @example 10485760
             */
            size: number;
        };
        UploadTicket: {
            bucket: string;
            /** @description Seconds the URL stays valid. */
            expiresIn: number;
            /** @description Send exactly these. */
            headers: {
                [key: string]: string;
            };
            /** Format: uuid */
            jobId: string;
            key: string;
            /** @enum {string} */
            method: "PUT";
            /** Format: uri */
            uploadUrl: string;
        };
        Usage: {
            budgets: {
                callerDailyUsd?: number;
                stageDailyUsd?: number;
                /** @description Operators only: the alert's monthly budget. */
                stageMonthlyUsd?: number;
                stageRemainingTodayUsd?: number;
            };
            /** @description The caller (JWT `sub`) the figures are for. */
            caller: string;
            /** @description Operators only: every caller with spend this month. */
            callers?: {
                caller: string;
                monthUsd: number;
                todayUsd: number;
            }[];
            /** @description What they cost this calendar month (UTC), in USD. */
            monthUsd: number;
            /** @description What its next calls may still spend today: the least of its own and the stage's daily budget left, calls in flight counted at their worst case. */
            remainingTodayUsd: number;
            /** @description Operators only: every caller's spend this month. */
            stageMonthUsd?: number;
            /** @description Operators only: every caller's spend today. */
            stageTodayUsd?: number;
            /** @description What its settled AI calls cost today (UTC), in USD. */
            todayUsd: number;
        };
        /** @description A video job's stored analysis (one per uploaded object version). */
        VideoJobOutput: {
            /** @description The model's answer: hook, topics, on_screen_text, suggested_caption, safety_flags, usage. */
            analysis?: {
                [key: string]: unknown;
            } | null;
            analysisId: number;
            bucket: string;
            /** Format: date-time */
            completedAt?: string | null;
            error?: string | null;
            etag?: string;
            /** @description Measured from the frames: duration_s, orientation, cut_count, cuts, brightness, ... */
            features?: {
                [key: string]: unknown;
            } | null;
            /** @description The frames sent. */
            frames?: {
                [key: string]: unknown;
            }[] | null;
            key: string;
            /**
             * @description discriminator enum property added by openapi-typescript
             * @enum {string}
             */
            kind: "video";
            /** @description The multimodal model that analysed it. */
            model?: string | null;
            sizeBytes?: number | null;
            /** @enum {string} */
            status: "pending" | "running" | "succeeded" | "failed";
        };
        /**
         * @description A video job.
         * @example {
         *       "task": "video",
         *       "payload": {
         *         "key": "uploads/0b9f3c1e-6f0e-4a63-9d9a-1c5d0e0f7a11/clip.mp4"
         *       }
         *     }
         */
        VideoJobRequest: {
            /** @description The task's input. */
            payload: components["schemas"]["VideoPayload"];
            /**
             * @description Which worker runs it. (enum property replaced by openapi-typescript)
             * @enum {string}
             */
            task: "video";
        };
        /**
         * @description Analyse an uploaded video.
         * @example {
         *       "key": "uploads/0b9f3c1e-6f0e-4a63-9d9a-1c5d0e0f7a11/clip.mp4"
         *     }
         */
        VideoPayload: {
            /**
             * @description Object key under uploads/, as the upload ticket gave it. No NUL characters or lone UTF-16 surrogates.
             * @example uploads/0b9f3c1e-6f0e-4a63-9d9a-1c5d0e0f7a11/clip.mp4
             */
            key: string;
        };
        /**
         * @description A prompt, with images if any, for the multimodal model.
         * @example {
         *       "prompt": "Summarise this caption",
         *       "type": "vision"
         *     }
         */
        VisionAiRouteRequest: {
            /** @description Images for the multimodal model: base64 JPEG/PNG, or data: URLs of them. */
            images?: string[] | null;
            /** @description Most tokens to generate. */
            max_tokens?: number | null;
            /**
             * @description The user prompt. No NUL characters or lone UTF-16 surrogates.
             * @example Summarise this caption
             */
            prompt: string;
            /** @description Sampling temperature; 0 makes the answer cacheable. */
            temperature?: number | null;
            /**
             * @description reasoning -> DeepSeek-R1, generation -> DeepSeek-V3; vision, chat and default -> Phi-4-multimodal-instruct. (enum property replaced by openapi-typescript)
             * @enum {string}
             */
            type: "vision" | "chat" | "default";
        };
        WebhookDelivery: {
            attempts: {
                /** Format: date-time */
                at: string;
                attempt: number;
                durationMs: number;
                /** @description Why it failed (an HTTP status, a timeout, a refused address); null on 2xx. */
                error?: string | null;
                /** @description null: no HTTP answer. */
                statusCode?: number | null;
            }[];
            /** Format: date-time */
            deliveredAt?: string | null;
            /** @description The endpoint's name in the stage config. */
            endpoint: string;
            /** @enum {string} */
            event: "job.succeeded" | "job.failed";
            /**
             * @description pending: retrying; failed: the last retry failed too (the message is in the DLQ).
             * @enum {string}
             */
            status: "pending" | "delivered" | "failed";
            /** @description The `webhook-id` every attempt carried. */
            webhookId: string;
        };
    };
    responses: never;
    parameters: never;
    requestBodies: never;
    headers: never;
    pathItems: never;
}
export type $defs = Record<string, never>;
export interface operations {
    health: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Success */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Health"];
                };
            };
        };
    };
    routeAi: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["AiRouteRequest"];
            };
        };
        responses: {
            /** @description Success */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["AiRouteResponse"];
                };
            };
            /** @description `missing_body`, `malformed_json` (not JSON, or nested too deeply), `invalid_encoding` (base64 that does not decode to UTF-8), or `invalid_request`: every field that does not fit the schema, listed in `errors`; `unknown_type` (a type this stage has no model for), `images_not_supported` (images with a type whose model takes none), `invalid_image` (not a base64 JPEG/PNG), or `max_tokens` over this stage's limit */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Missing or invalid JWT: API Gateway's authorizer answers before the function runs */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Unauthorized"];
                };
            };
            /** @description `body_too_large`: the body is over this stage's limit (MAX_BODY_BYTES); `prompt_too_long` or `too_many_images`: over this stage's AI_MAX_PROMPT_CHARS / AI_MAX_IMAGES */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description `unsupported_media_type`: the Content-Type is not application/json */
            415: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Azure refused the request: `content_filtered` (its content filter) or `upstream_rejected` (invalid for the model) */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description `daily_budget_exceeded` (the stage's AI budget for the UTC day) or `caller_budget_exceeded` (the caller's): no room for this request's worst case (its `max_tokens` at the model's output price); Retry-After is the next 00:00 UTC */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Azure failed, or the AI service is misconfigured on our side (`azure_misconfigured`, `azure_auth_failed`) */
            502: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Azure is throttling or a dependency is down */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Azure did not answer in time */
            504: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    getAnalytics: {
        parameters: {
            query: {
                /**
                 * @description The account: one the caller's token lists in the accounts claim, or any for an operator.
                 * @example acct-42
                 */
                accountId: string;
                /**
                 * @description Only this content item of the account.
                 * @example post-9001
                 */
                contentId?: string;
                /**
                 * @description Comma-separated event types (1 to 10) of this stage's list: one series each.
                 * @example view,like
                 */
                eventTypes: string;
                /**
                 * @description Start (RFC 3339); taken down to its bucket's start.
                 * @example 2026-11-01T00:00:00Z
                 */
                from: string;
                /**
                 * @description The bucket size.
                 * @example day
                 */
                granularity: "hour" | "day";
                /**
                 * @description End, exclusive (RFC 3339); after `from`, at most 31 days of hours or 366 of days later.
                 * @example 2026-11-30T00:00:00Z
                 */
                to: string;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Success */
            200: {
                headers: {
                    /** @description `hit` when answered from the cache (invalidated whenever a rollup changes the account) */
                    "X-Cache"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Analytics"];
                };
            };
            /** @description `invalid_request`: a parameter does not fit (listed in `errors`), an event type this stage does not know, `to` not after `from`, or a range over the granularity's limit */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Missing or invalid JWT: API Gateway's authorizer answers before the function runs */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Unauthorized"];
                };
            };
            /** @description `account_forbidden`: the account is not one the caller's token lists (nor is the caller an operator) */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description `db_*`: the database is unavailable; retry after Retry-After */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    ingestEvents: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["EventBatch"];
            };
        };
        responses: {
            /** @description Success */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["EventBatchResult"];
                };
            };
            /** @description `missing_body`, `malformed_json` (not JSON, or nested too deeply), `invalid_encoding` (base64 that does not decode to UTF-8), or `invalid_request`: every field that does not fit the schema, listed in `errors` */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Missing or invalid JWT: API Gateway's authorizer answers before the function runs */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Unauthorized"];
                };
            };
            /** @description `body_too_large`: the body is over 1000000 bytes (or this stage's MAX_BODY_BYTES) */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description `unsupported_media_type`: the Content-Type is not application/json */
            415: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description `db_*`: the database is unavailable; resend the same batch after Retry-After (nothing is counted twice) */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    listJobs: {
        parameters: {
            query?: {
                /** @description `nextCursor` of the previous page, as answered (opaque). The filters may change between pages; the cursor keeps its place in the newest-first order. */
                cursor?: string;
                /**
                 * @description Jobs per page.
                 * @example 20
                 */
                limit?: number;
                /**
                 * @description Only jobs in this status.
                 * @example failed
                 */
                status?: "queued" | "running" | "succeeded" | "failed";
                /**
                 * @description Only jobs of this task.
                 * @example video
                 */
                task?: "video" | "trends" | "data" | "alerts" | "imports";
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Success */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["JobPage"];
                };
            };
            /** @description `invalid_request`: a bad or unknown query parameter (each named in `errors`): `task` or `status` not among their values, `limit` not an integer from 1 to 100, a `cursor` this API did not issue */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Missing or invalid JWT: API Gateway's authorizer answers before the function runs */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Unauthorized"];
                };
            };
            /** @description `db_*`: the database is unavailable; retry after Retry-After */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    createJob: {
        parameters: {
            query?: never;
            header?: {
                /** @description Scoped to the caller (the JWT `sub`). A repeat with the same key returns the same job; while no worker has started it, its message is queued again (a lost first send is recovered; workers run a job once however many messages name it). */
                "Idempotency-Key"?: string;
            };
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["JobRequest"];
            };
        };
        responses: {
            /** @description Success */
            202: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["JobAccepted"];
                };
            };
            /** @description `missing_body`, `malformed_json` (not JSON, or nested too deeply), `invalid_encoding` (base64 that does not decode to UTF-8), or `invalid_request`: every field that does not fit the schema, listed in `errors`; `invalid_idempotency_key`: not 1 to this stage's MAX_IDEMPOTENCY_KEY_CHARS printable ASCII characters */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Missing or invalid JWT: API Gateway's authorizer answers before the function runs */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Unauthorized"];
                };
            };
            /** @description `operator_scope_required`: a scheduled task (this stage's OPERATOR_TASKS) queued by a caller without the stage's operator scope */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Idempotency-Key reused with a different request */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description `body_too_large`: the body is over this stage's limit (MAX_BODY_BYTES) */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description `unsupported_media_type`: the Content-Type is not application/json */
            415: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description `task_unavailable` (this stage runs no such worker), `queue_unavailable` or `db_*` (the queue or the database is unavailable): retry after Retry-After with the same Idempotency-Key */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    getJob: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                jobId: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Success */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Job"];
                };
            };
            /** @description `invalid_job_id`: not a UUID */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Missing or invalid JWT: API Gateway's authorizer answers before the function runs */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Unauthorized"];
                };
            };
            /** @description `job_not_found`: no such job, or not one the caller may see */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    getAlertStates: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Success */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["AlertStates"];
                };
            };
            /** @description Missing or invalid JWT: API Gateway's authorizer answers before the function runs */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Unauthorized"];
                };
            };
            /** @description The token lacks the stage's operator scope: API Gateway answers `{"message":"Forbidden"}` before the function runs (the function's own check: `operator_scope_required`) */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Forbidden"] | components["schemas"]["Error"];
                };
            };
            /** @description The database is unavailable */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    createSilence: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["SilenceRequest"];
            };
        };
        responses: {
            /** @description Success */
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Silence"];
                };
            };
            /** @description `missing_body`, `malformed_json` (not JSON, or nested too deeply), `invalid_encoding` (base64 that does not decode to UTF-8), or `invalid_request`: every field that does not fit the schema, listed in `errors`; `invalid_silence`: no such rule, or a blank `reason` */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Missing or invalid JWT: API Gateway's authorizer answers before the function runs */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Unauthorized"];
                };
            };
            /** @description The token lacks the stage's operator scope: API Gateway answers `{"message":"Forbidden"}` before the function runs (the function's own check: `operator_scope_required`) */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Forbidden"] | components["schemas"]["Error"];
                };
            };
            /** @description `body_too_large`: the body is over this stage's limit (MAX_BODY_BYTES) */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description `unsupported_media_type`: the Content-Type is not application/json */
            415: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description The database is unavailable */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    getTrends: {
        parameters: {
            query?: {
                /**
                 * @description Movers per direction.
                 * @example 10
                 */
                limit?: number;
                /**
                 * @description The window's start (RFC 3339), as the trends job stored it; absent: the latest snapshot.
                 * @example 2026-11-30T06:00:00Z
                 */
                window?: string;
            };
            header?: {
                /** @description The ETag of the snapshot the caller holds: 304 while it is still current. */
                "If-None-Match"?: string;
            };
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Success */
            200: {
                headers: {
                    /** @description Identifies this answer; send it back as If-None-Match. */
                    ETag?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Trends"];
                };
            };
            /** @description Not modified: the snapshot (and so the answer) is the one the caller's ETag names */
            304: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description `invalid_request`: `window` is not RFC 3339, `limit` is out of range, or If-None-Match is not printable ASCII */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Missing or invalid JWT: API Gateway's authorizer answers before the function runs */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Unauthorized"];
                };
            };
            /** @description `trends_not_found`: no snapshot yet, or none for that window */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description `db_*`: the database is unavailable; retry after Retry-After */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    createUpload: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["UploadRequest"];
            };
        };
        responses: {
            /** @description Success */
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["UploadTicket"];
                };
            };
            /** @description `missing_body`, `malformed_json` (not JSON, or nested too deeply), `invalid_encoding` (base64 that does not decode to UTF-8), or `invalid_request`: every field that does not fit the schema, listed in `errors` */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description Missing or invalid JWT: API Gateway's authorizer answers before the function runs */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Unauthorized"];
                };
            };
            /** @description `body_too_large`: the body is over this stage's limit (MAX_BODY_BYTES); `upload_too_large`: `size` is over this stage's UPLOAD_MAX_BYTES */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description `unsupported_media_type`: the Content-Type is not application/json; `unsupported_content_type`: `contentType` is not among this stage's UPLOAD_CONTENT_TYPES */
            415: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description `db_*`: the database is unavailable; retry after Retry-After */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    getUsage: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Success */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Usage"];
                };
            };
            /** @description Missing or invalid JWT: API Gateway's authorizer answers before the function runs */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Unauthorized"];
                };
            };
        };
    };
    onJobFailed: {
        parameters: {
            query?: never;
            header: {
                /** @description The message id, the same on every retry of one event: deduplicate on it. */
                "webhook-id": string;
                /** @description `v1,<base64 HMAC-SHA256 of "{webhook-id}.{webhook-timestamp}.{body}">` with the endpoint's secret (`whsec_...`), per the Standard Webhooks specification; verify it with the `standardwebhooks` library. */
                "webhook-signature": string;
                /** @description Unix seconds when this attempt was signed. */
                "webhook-timestamp": string;
            };
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["JobFailedEvent"];
            };
        };
        responses: {
            /** @description Acknowledged (any 2xx is). */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
        };
    };
    onJobSucceeded: {
        parameters: {
            query?: never;
            header: {
                /** @description The message id, the same on every retry of one event: deduplicate on it. */
                "webhook-id": string;
                /** @description `v1,<base64 HMAC-SHA256 of "{webhook-id}.{webhook-timestamp}.{body}">` with the endpoint's secret (`whsec_...`), per the Standard Webhooks specification; verify it with the `standardwebhooks` library. */
                "webhook-signature": string;
                /** @description Unix seconds when this attempt was signed. */
                "webhook-timestamp": string;
            };
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["JobSucceededEvent"];
            };
        };
        responses: {
            /** @description Acknowledged (any 2xx is). */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
        };
    };
}
