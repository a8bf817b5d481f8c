// Copyright 2026 the buildkit-ts authors. MIT license.

// Child process for the crash test: opens a blob writer in the store given as
// the first argument, writes some bytes, prints "written" and kills itself
// with SIGKILL before committing.

import process from "node:process";
import { openStore } from "../../src/store/mod.ts";

const store = openStore(process.argv[2] ?? process.argv[1]!);
const w = await store.content.writer();
await w.write(new TextEncoder().encode("half a blob"));
process.stdout.write("written\n");
process.kill(process.pid, "SIGKILL");
