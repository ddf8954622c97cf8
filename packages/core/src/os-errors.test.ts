/**
 * OS errors in words: each errno a user meets when a path or port is wrong — ENOTDIR, ENOENT,
 * EACCES, ENOSPC, EROFS, EADDRINUSE — gets the path or port, the reason in words, the code and
 * what to do; anything else keeps its own message. (The real ENOTDIR, ENOENT, ENOSPC and
 * EADDRINUSE are produced against the file system and the network in the CLI's tests.)
 */
import { describe, expect, it } from "vitest";
import { describeOsError, osErrorMessage } from "./os-errors.js";

const errno = (code: string, extra: Record<string, unknown>) =>
  Object.assign(new Error(`${code}: raw`), { code, ...extra });

describe("describeOsError", () => {
  it.each([
    ["ENOTDIR", { path: "/a/file/x" }, /^\/a\/file\/x: .*regular file.*\(ENOTDIR\); choose a directory/],
    ["EACCES", { path: "/root/x" }, /^\/root\/x: permission denied \(EACCES\); .*permissions/],
    ["ENOSPC", { path: "/full" }, /^\/full: no space left on the device \(ENOSPC\); free space/],
    ["EROFS", { path: "/ro" }, /read-only \(EROFS\)/],
    [
      "EADDRINUSE",
      { port: 8081 },
      /^port 8081: the port is already in use \(EADDRINUSE\); choose another port/,
    ],
  ])("%s", (code, extra, expected) => {
    expect(describeOsError(errno(code, extra))).toMatch(expected);
  });

  it("leaves other errors alone", () => {
    expect(describeOsError(new Error("boom"))).toBeUndefined();
    expect(osErrorMessage(new Error("boom"))).toBe("boom");
    expect(osErrorMessage("text")).toBe("text");
  });
});
