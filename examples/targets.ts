/**
 * `pnpm targets count|reset <files|kafka|postgres|s3> <name>`: what the examples' READMEs use
 * to look at a target. `count` reads every committed record's `seq` with a reader that shares
 * no code with Berth (target-readers.ts) and prints one line:
 * `<n> records, <d> distinct, <x> duplicated, <m> missing below the highest`; exit 1 when any is
 * duplicated or missing. `reset` empties the target (deletes the directory, topic, table or the
 * objects under `bucket/base`), so a README's figures start from zero.
 */
import { resetTarget, TARGET_KINDS, type TargetKind, targetSeqs } from "./target-readers.js";

const [command, kind, name] = process.argv.slice(2);
if (
  (command !== "count" && command !== "reset") ||
  !TARGET_KINDS.includes(kind as TargetKind) ||
  name === undefined
) {
  console.error(
    `usage: pnpm targets count|reset ${TARGET_KINDS.join("|")} <directory|topic|table|bucket/base>`,
  );
  process.exit(2);
}
if (command === "reset") {
  await resetTarget(kind as TargetKind, name);
  console.log(`${kind} ${name}: emptied`);
} else {
  const seqs = await targetSeqs(kind as TargetKind, name);
  const distinct = new Set(seqs);
  const highest = seqs.reduce((max, s) => Math.max(max, s), -1);
  const missing = highest + 1 - [...distinct].filter((s) => s >= 0 && s <= highest).length;
  const duplicated = seqs.length - distinct.size;
  console.log(
    `${seqs.length} records, ${distinct.size} distinct, ${duplicated} duplicated, ${missing} missing below the highest`,
  );
  if (duplicated > 0 || missing > 0) process.exitCode = 1;
}
