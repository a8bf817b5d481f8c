#!/usr/bin/env -S deno run -A
// Copyright 2026 the buildkit-ts authors. MIT license.

/**
 * The `buildkit` binary: picks the runtime adapter and hands over to src/cli.
 *
 * @module
 */

import { main } from "./src/cli/mod.ts";
import { createRuntime, setExitCode } from "./src/runtime/mod.ts";

const rt = createRuntime();
setExitCode(await main(rt.args(), rt));
