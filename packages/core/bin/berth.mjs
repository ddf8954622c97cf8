#!/usr/bin/env node
// Runs the CLI from its TypeScript source through tsx, so pipeline modules written in
// TypeScript load without a build step.
import { register } from "tsx/esm/api";

register();
await import("../src/cli/main.ts");
