/**
 * The example's target: a small HTTP record store that deduplicates batches by their
 * `Idempotency-Key` header, as many payment and ingestion APIs do. A real server on
 * loopback, in the test process; crash-case children reach it by its URL.
 *
 * - `POST /collections/:name/batches` `{records}` with `Idempotency-Key` → 201, or 200 with
 *   `Idempotent-Replayed: true` when that key was already applied (nothing appended).
 * - `GET /collections/:name/records` → `{records}`.
 * - `DELETE /collections/:name`.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";

interface Collection {
  readonly records: unknown[];
  readonly keys: Set<string>;
}

let started: Promise<string> | undefined;

/** Starts the store once per process; resolves with its base URL. */
export function idempotentHttpStore(): Promise<string> {
  started ??= new Promise((resolve) => {
    const collections = new Map<string, Collection>();
    const server: Server = createServer((request, response) => {
      const match = /^\/collections\/([\w-]+)(\/batches|\/records)?$/.exec(request.url ?? "");
      const name = match?.[1];
      if (!name) return void response.writeHead(404).end();
      let collection = collections.get(name);
      if (!collection) {
        collection = { records: [], keys: new Set() };
        collections.set(name, collection);
      }
      if (request.method === "GET" && match[2] === "/records") {
        response.writeHead(200, { "content-type": "application/json" });
        return void response.end(JSON.stringify({ records: collection.records }));
      }
      if (request.method === "DELETE" && !match[2]) {
        collections.delete(name);
        return void response.writeHead(204).end();
      }
      if (request.method !== "POST" || match[2] !== "/batches") return void response.writeHead(405).end();
      const key = request.headers["idempotency-key"];
      if (typeof key !== "string" || key.length === 0)
        return void response.writeHead(400).end("no Idempotency-Key");
      const chunks: Buffer[] = [];
      request.on("data", (chunk: Buffer) => chunks.push(chunk));
      request.on("end", () => {
        const target = collection as Collection;
        if (target.keys.has(key))
          return void response.writeHead(200, { "idempotent-replayed": "true" }).end();
        const { records } = JSON.parse(Buffer.concat(chunks).toString("utf8")) as { records: unknown[] };
        target.records.push(...records);
        target.keys.add(key);
        response.writeHead(201).end();
      });
    });
    server.listen(0, "127.0.0.1", () => {
      server.unref();
      resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    });
  });
  return started;
}
