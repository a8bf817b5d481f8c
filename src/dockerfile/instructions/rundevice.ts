// Copyright 2026 the buildkit-ts authors. MIT license.
// This module is browser compatible.

/**
 * `RUN --device=name[,required]` values
 * (`frontend/dockerfile/instructions/commands_rundevice.go`).
 *
 * @module
 */

import { suggest, withSuggestion } from "../../util/mod.ts";
import { parseCsvFields } from "./csv.ts";
import type { DeviceSpec } from "./types.ts";

/**
 * Parses one `--device` value: a bare first field or `name=` is the device
 * name; `required` / `required=<bool>` marks it mandatory.
 *
 * @throws {Error} with BuildKit's message for malformed values.
 *
 * @example
 * ```ts
 * import { parseDevice } from "./rundevice.ts";
 * const d = parseDevice("vendor1.com/device=foo,required");
 * console.assert(d.name === "vendor1.com/device=foo" && d.required);
 * ```
 */
export function parseDevice(value: string): DeviceSpec {
  let fields: string[];
  try {
    fields = parseCsvFields(value);
  } catch (e) {
    throw new Error(`failed to parse csv devices: ${(e as Error).message}`, { cause: e });
  }
  const d: DeviceSpec = { name: "", required: false };
  for (const field of fields) {
    const eq = field.indexOf("=");
    const key = (eq >= 0 ? field.slice(0, eq) : field).toLowerCase();
    const val = eq >= 0 ? field.slice(eq + 1) : "";
    if (eq < 0) {
      if (key === "required") {
        d.required = true;
        continue;
      }
      if (d.name === "") {
        d.name = field;
        continue;
      }
      throw new Error(`invalid field '${field}' must be a key=value pair`);
    }
    if (key === "name") {
      if (d.name !== "") throw new Error(`device name already set to ${d.name}`);
      d.name = val;
    } else if (key === "required") {
      if (["1", "t", "T", "TRUE", "true", "True"].includes(val)) d.required = true;
      else if (["0", "f", "F", "FALSE", "false", "False"].includes(val)) d.required = false;
      else throw new Error(`invalid value for ${key}: ${val}`);
    } else {
      if (d.name === "") {
        d.name = field;
        continue;
      }
      throw new Error(
        withSuggestion(
          `unexpected key '${key}' in '${field}'`,
          suggest(key, ["name", "required"], { caseSensitive: true }),
        ),
      );
    }
  }
  return d;
}
