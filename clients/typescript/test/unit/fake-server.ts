/** A scripted HTTP peer on loopback: answers come from a queue, requests are recorded. */
import { createServer, type IncomingHttpHeaders } from "node:http";
import type { AddressInfo } from "node:net";

export interface Seen {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
}

export interface Answer {
  status: number;
  headers?: Record<string, string>;
  body?: unknown;
}

export interface FakeServer {
  url: string;
  seen: Seen[];
  answer(...answers: Answer[]): void;
  /** Forget the requests seen and the answers not given. */
  reset(): void;
  close(): Promise<void>;
}

export async function fakeServer(): Promise<FakeServer> {
  const queue: Answer[] = [];
  const seen: Seen[] = [];
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      seen.push({
        method: request.method ?? "",
        path: request.url ?? "",
        headers: request.headers,
        body: Buffer.concat(chunks).toString(),
      });
      const next = queue.shift() ?? { status: 599, body: { error: "unscripted", detail: "no answer queued" } };
      const text = next.body === undefined ? "" : typeof next.body === "string" ? next.body : JSON.stringify(next.body);
      response.writeHead(next.status, { "content-type": "application/json", ...next.headers });
      response.end(text);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    seen,
    answer: (...answers) => void queue.push(...answers),
    reset: () => {
      queue.length = 0;
      seen.length = 0;
    },
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
