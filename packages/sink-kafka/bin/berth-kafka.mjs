#!/usr/bin/env node
// Runs the `berth kafka` commands from their TypeScript source through tsx.
import { register } from "tsx/esm/api";

register();
await import("../src/cli/main.ts");
