/**
 * The dashboard's static files, shipped in the package (`packages/core/dashboard/`) and read
 * once when the control plane starts: plain HTML, CSS and JavaScript, no build step and
 * nothing fetched from elsewhere. Only these names are served, so no path reaches the disk.
 */
import { readFile } from "node:fs/promises";

export interface DashboardAsset {
  readonly body: Buffer;
  readonly contentType: string;
}

export interface DashboardAssets {
  /** The 401 page of `GET /` without a session: it exchanges an address's code or says to run `berth ui`. */
  readonly signIn: DashboardAsset;
  /** What the sign-in page loads, served without a session (static, no job data). */
  public(path: string): DashboardAsset | undefined;
  /** The dashboard itself, for a session or the token. */
  private(path: string): DashboardAsset | undefined;
}

// From src/control/ and from dist/control/ alike, the folder is two levels up.
const DIRECTORY = new URL("../../dashboard/", import.meta.url);

const TYPES: Record<string, string> = {
  html: "text/html; charset=utf-8",
  js: "text/javascript; charset=utf-8",
  css: "text/css; charset=utf-8",
};

async function load(name: string): Promise<DashboardAsset> {
  const extension = name.slice(name.lastIndexOf(".") + 1);
  return { body: await readFile(new URL(name, DIRECTORY)), contentType: TYPES[extension] as string };
}

/** `jobId` is named on the sign-in page (a safe name: letters, digits, `.`, `_`, `-`). */
export async function loadDashboardAssets(jobId: string): Promise<DashboardAssets> {
  const signIn = await load("sign-in.html");
  const publicAssets = new Map([
    ["/sign-in.js", await load("sign-in.js")],
    ["/dashboard.css", await load("dashboard.css")],
  ]);
  const privateAssets = new Map([
    ["/", await load("index.html")],
    ["/dashboard.js", await load("dashboard.js")],
  ]);
  return {
    signIn: { ...signIn, body: Buffer.from(signIn.body.toString("utf8").replaceAll("{{jobId}}", jobId)) },
    public: (path) => publicAssets.get(path),
    private: (path) => privateAssets.get(path),
  };
}
