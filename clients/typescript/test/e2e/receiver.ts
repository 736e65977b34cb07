/**
 * A webhook receiver for the e2e tests: the route handler a Next.js app would export
 * (`webhookHandler`), served on loopback by node:http.
 *
 *   node test/e2e/receiver.ts <secret-file>     # prints "listening <url>" once it answers
 *
 * The pytest driver starts it before the local system, whose notifier is pointed at its
 * URL (LOCAL_WEBHOOK_URL); the secret file is the one the local system writes at start, so
 * it is read per delivery. `GET /deliveries` lists every request that came in, raw (for
 * tampering in the tests), with the status the handler answered.
 *
 * Like an app whose database is briefly down, its `onEvent` throws on the first delivery of
 * every `job.failed` message (so the handler answers 500), and the tests see the API send
 * that message again, with the same webhook-id.
 */
import { readFileSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";

import { webhookHandler } from "../../src/webhooks.ts";

export interface Delivery {
  headers: Record<string, string>;
  body: string;
  status: number;
}

const secretFile = process.argv[2];
if (!secretFile) throw new Error("usage: node test/e2e/receiver.ts <secret-file>");

const deliveries: Delivery[] = [];
const failedOnce = new Set<string>();
const POST = webhookHandler({
  secret: () => readFileSync(secretFile, "utf8").trim(),
  onEvent: (event, { id }) => {
    if (event.type === "job.failed" && !failedOnce.has(id)) {
      failedOnce.add(id);
      throw new Error(`first delivery of ${id} refused on purpose`);
    }
  },
});

const server = createServer(async (incoming, outgoing) => {
  if (incoming.method === "GET" && incoming.url === "/deliveries") {
    outgoing.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(deliveries));
    return;
  }
  const chunks: Buffer[] = [];
  for await (const chunk of incoming) chunks.push(chunk as Buffer);
  const body = Buffer.concat(chunks).toString();
  const headers = Object.fromEntries(
    Object.entries(incoming.headers).map(([name, value]) => [name, Array.isArray(value) ? value.join(", ") : (value ?? "")]),
  );
  const response = await POST(new Request(`http://receiver${incoming.url}`, { method: incoming.method, headers, body }));
  deliveries.push({ headers, body, status: response.status });
  outgoing.writeHead(response.status, Object.fromEntries(response.headers)).end(await response.text());
});

server.listen(0, "127.0.0.1", () => {
  const { port } = server.address() as AddressInfo;
  console.log(`listening http://127.0.0.1:${port}/api/webhooks/huntaze`);
});
