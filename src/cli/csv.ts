// Copyright 2026 the buildkit-ts authors. MIT license.

import { UsageError } from "./errors.ts";
import { CsvError, splitCsv as splitCsvRecord } from "../util/mod.ts";

/**
 * Splits a CSV record the way buildx reads `--secret`, `--ssh` and `--output`
 * values (Go's `encoding/csv`); a malformed record is a usage error.
 *
 * @example
 * ```ts
 * import { splitCsv } from "./csv.ts";
 * console.assert(splitCsv('type=oci,"dest=a,b"').length === 2);
 * ```
 */
export function splitCsv(value: string): string[] {
  try {
    return splitCsvRecord(value);
  } catch (err) {
    if (err instanceof CsvError) throw new UsageError(err.message);
    throw err;
  }
}

/**
 * Parses `k=v,k2=v2` into an ordered list of pairs (a field without `=` has value `undefined`).
 *
 * @example
 * ```ts
 * import { parseKeyValueCsv } from "./csv.ts";
 * console.assert(parseKeyValueCsv("type=oci,dest=out")[1]?.[1] === "out");
 * ```
 */
export function parseKeyValueCsv(value: string): Array<[string, string | undefined]> {
  return splitCsv(value).map((field) => {
    const eq = field.indexOf("=");
    return eq < 0 ? [field.trim(), undefined] : [field.slice(0, eq).trim(), field.slice(eq + 1)];
  });
}
