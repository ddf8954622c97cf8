import { randomBytes } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import pg from "pg";
import { afterAll, describe, expect, it } from "vitest";
import { servicesDir } from "./paths.js";
import { PrivatePostgres } from "./private-postgres.js";
import { freePort, isPortOpen } from "./processes.js";

const query = async (url: string, sql: string) => {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5_000 });
  await client.connect();
  try {
    return (await client.query(sql)).rows;
  } finally {
    await client.end();
  }
};

/** The real uid of a process (Linux /proc). */
const uidOf = (pid: number) =>
  Number(/^Uid:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1]);

describe("a private PostgreSQL server", () => {
  const dir = join(servicesDir(), "postgres-private", `smoke-${randomBytes(3).toString("hex")}`);
  let server: PrivatePostgres;

  afterAll(async () => {
    await server?.stop({ wipe: true });
  });

  it("runs as a non-root user on its own port with the settings given, survives a SIGKILL crash with its committed data, stops and wipes its folder", async () => {
    server = new PrivatePostgres({ dir, port: await freePort(), settings: { max_prepared_transactions: 0 } });
    await server.start();
    const pid = server.postmasterPid() as number;
    expect(uidOf(pid)).not.toBe(0);
    expect(await query(server.endpoint, "SHOW max_prepared_transactions")).toEqual([
      { max_prepared_transactions: "0" },
    ]);
    expect(await query(server.endpoint, "SHOW unix_socket_directories")).toEqual([
      { unix_socket_directories: "" },
    ]);
    await query(server.endpoint, "CREATE TABLE survives (n int); INSERT INTO survives VALUES (1)");

    await server.kill();
    expect(await isPortOpen("127.0.0.1", server.port)).toBe(false);
    await server.start();
    expect(server.postmasterPid()).not.toBe(pid);
    expect(await query(server.endpoint, "SELECT n FROM survives")).toEqual([{ n: 1 }]);

    await server.stop({ wipe: true });
    expect(await isPortOpen("127.0.0.1", server.port)).toBe(false);
    expect(existsSync(dir)).toBe(false);
  });
});
