/**
 * Locations of checkpoint storage: a local path, or a URI of a store's scheme (`s3://bucket/key`).
 * Paths inside a checkpoint are relative (`../../shared/<chunk>`) and resolve against a URI as
 * against a directory, so one piece of code handles both; a URI is never passed to `path.resolve`,
 * which would read `s3://b/k` as a relative path.
 */
import { isAbsolute, posix, relative, resolve, sep } from "node:path";

const URI = /^([a-z][a-z0-9+.-]+):\/\/([^/]*)(.*)$/i;

/** The scheme of a URI location (`s3`), or undefined for a local path. */
export function schemeOf(location: string): string | undefined {
  return isAbsolute(location) ? undefined : URI.exec(location)?.[1]?.toLowerCase();
}

function splitUri(location: string): { root: string; path: string } | undefined {
  if (isAbsolute(location)) return undefined;
  const match = URI.exec(location);
  return match ? { root: `${match[1]}://${match[2]}`, path: match[3] || "/" } : undefined;
}

/** `location` made absolute: a URI as given (without a trailing `/`), a path resolved. */
export function absoluteLocation(location: string): string {
  const uri = splitUri(location);
  if (!uri) return resolve(location);
  const path = posix.resolve(uri.path);
  return path === "/" ? uri.root : `${uri.root}${path}`;
}

/** `relativePath` (a `/`-separated path, or an absolute path or URI) resolved against the folder `base`. */
export function resolveLocation(base: string, relativePath: string): string {
  if (isAbsolute(relativePath) || splitUri(relativePath)) return absoluteLocation(relativePath);
  const uri = splitUri(base);
  if (!uri) return resolve(base, relativePath);
  const path = posix.resolve(uri.path, relativePath);
  return path === "/" ? uri.root : `${uri.root}${path}`;
}

/** The `/`-separated path of `location` relative to the folder `from` (both of one kind). */
export function relativeLocation(from: string, location: string): string {
  const a = splitUri(from);
  const b = splitUri(location);
  if (a && b) return posix.relative(a.path, b.path);
  return relative(from, location).split(sep).join("/");
}

/** Whether `location` lies inside the folder `folder` (not the folder itself). */
export function isWithin(location: string, folder: string): boolean {
  const a = absoluteLocation(folder);
  return absoluteLocation(location).startsWith(splitUri(a) ? `${a}/` : a + sep);
}

/** The folder holding `location`, and its last name. */
export function splitLocation(location: string): { folder: string; name: string } {
  const absolute = absoluteLocation(location);
  const cut = absolute.lastIndexOf(splitUri(absolute) ? "/" : sep);
  return { folder: absolute.slice(0, cut) || sep, name: absolute.slice(cut + 1) };
}
