import { describe, expect, it } from "vitest";
import { chooseServiceSource, type DockerEndpoint, dockerEndpoint, isDockerReachable } from "./docker.js";

const surroundings = (env: Record<string, string | undefined>, files: string[] = []) => ({
  env,
  exists: (p: string) => files.includes(p),
  home: "/home/u",
});

describe("dockerEndpoint", () => {
  it("takes a unix DOCKER_HOST", () => {
    expect(dockerEndpoint(surroundings({ DOCKER_HOST: "unix:///run/user/1/docker.sock" }))).toEqual({
      kind: "unix",
      socketPath: "/run/user/1/docker.sock",
    });
  });

  it("takes a tcp DOCKER_HOST, with the TLS port when DOCKER_TLS_VERIFY is set", () => {
    expect(dockerEndpoint(surroundings({ DOCKER_HOST: "tcp://10.0.0.5:2375" }))).toEqual({
      kind: "tcp",
      host: "10.0.0.5",
      port: 2375,
      tls: false,
    });
    expect(dockerEndpoint(surroundings({ DOCKER_HOST: "tcp://dockerd", DOCKER_TLS_VERIFY: "1" }))).toEqual({
      kind: "tcp",
      host: "dockerd",
      port: 2376,
      tls: true,
    });
  });

  it("does not probe transports it cannot ping (ssh)", () => {
    expect(dockerEndpoint(surroundings({ DOCKER_HOST: "ssh://me@box" }, ["/var/run/docker.sock"]))).toBe(
      undefined,
    );
  });

  it("falls back to the first socket file that exists", () => {
    expect(dockerEndpoint(surroundings({}, ["/var/run/docker.sock"]))).toEqual({
      kind: "unix",
      socketPath: "/var/run/docker.sock",
    });
    expect(
      dockerEndpoint(surroundings({ XDG_RUNTIME_DIR: "/run/user/7" }, ["/run/user/7/docker.sock"])),
    ).toEqual({ kind: "unix", socketPath: "/run/user/7/docker.sock" });
    expect(dockerEndpoint(surroundings({}, ["/home/u/.docker/run/docker.sock"]))).toEqual({
      kind: "unix",
      socketPath: "/home/u/.docker/run/docker.sock",
    });
  });

  it("finds nothing on a machine with only the docker client", () => {
    expect(dockerEndpoint(surroundings({}))).toBe(undefined);
  });
});

describe("isDockerReachable", () => {
  it("is false without an endpoint, and never pings then", async () => {
    let pinged = false;
    const reachable = await isDockerReachable(surroundings({}), async () => {
      pinged = true;
      return true;
    });
    expect(reachable).toBe(false);
    expect(pinged).toBe(false);
  });

  it("is what the ping says when a socket exists", async () => {
    const s = surroundings({}, ["/var/run/docker.sock"]);
    const seen: DockerEndpoint[] = [];
    expect(
      await isDockerReachable(s, async (e) => {
        seen.push(e);
        return true;
      }),
    ).toBe(true);
    expect(seen).toEqual([{ kind: "unix", socketPath: "/var/run/docker.sock" }]);
    // A socket file whose engine does not answer (stopped daemon, stale file).
    expect(await isDockerReachable(s, async () => false)).toBe(false);
  });

  it("treats a failing ping as unreachable", async () => {
    const s = surroundings({ DOCKER_HOST: "tcp://127.0.0.1:2375" });
    expect(
      await isDockerReachable(s, async () => {
        throw new Error("ECONNREFUSED");
      }),
    ).toBe(false);
  });
});

describe("chooseServiceSource", () => {
  const all = {
    KAFKA_BROKERS: "k:9092",
    KAFKA_3_9_BROKERS: "k39:9092",
    PG_URL: "postgres://u@db/x",
    S3_ENDPOINT: "http://s3:9000",
  };

  it("uses containers only when Docker answers and no service is named", () => {
    expect(chooseServiceSource({}, true)).toBe("containers");
    expect(chooseServiceSource({}, false)).toBe("local");
  });

  it("uses the environment when it names every service", () => {
    expect(chooseServiceSource(all, true)).toBe("environment");
    expect(chooseServiceSource(all, false)).toBe("environment");
  });

  it("stays local when only some services are named", () => {
    expect(chooseServiceSource({ KAFKA_BROKERS: "k:9092" }, true)).toBe("local");
  });

  it("counts a variable set to the default as set, and an empty one as unset", () => {
    expect(chooseServiceSource({ KAFKA_BROKERS: "127.0.0.1:9092" }, true)).toBe("local");
    expect(chooseServiceSource({ KAFKA_BROKERS: "", PG_URL: " " }, true)).toBe("containers");
  });
});
