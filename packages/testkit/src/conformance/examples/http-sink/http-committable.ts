/**
 * The HTTP sink's committable: one transaction's records and the key that makes their POST
 * idempotent. A `type` of plain JSON, because the core stores it in the checkpoint as JSON
 * and hands back what `parse` made of it — no class or method survives that trip.
 */
import { parseWith, type VersionedCodec } from "@berth/core/connector";
import { z } from "zod";
import { HttpSinkError } from "./errors.js";

/** Version 1: one batch of records and the key that makes its POST idempotent. */
export type HttpCommittable = {
  readonly url: string;
  readonly key: string;
  readonly records: { seq: number }[];
};

const httpCommittableV1 = z.object({
  url: z.string().min(1),
  key: z.string().min(1),
  records: z.array(z.object({ seq: z.number().int() })),
});

/** The checkpoint holds version 1; a restore parses each committable once, before it is committed. */
export const httpCommittable: VersionedCodec<HttpCommittable> = {
  version: 1,
  parse(version, stored) {
    if (version !== 1)
      throw new HttpSinkError(
        "HTTP_COMMITTABLE_INVALID",
        `http sink: committables of version ${version} are unknown to this release, which reads version 1`,
      );
    return parseWith(httpCommittableV1, stored, (problems, cause) => {
      return new HttpSinkError("HTTP_COMMITTABLE_INVALID", `http sink: committable: ${problems}`, { cause });
    });
  },
};
