// Copyright 2026 the buildkit-ts authors. MIT license.

import { UsageError } from "./errors.ts";

/**
 * Splits a CSV record the way buildx reads `--output`, `--secret` and
 * `--mount`-like values: commas separate fields, double quotes group, `""`
 * inside quotes is a literal quote.
 *
 * @example
 * ```ts
 * import { splitCsv } from "./csv.ts";
 * console.assert(splitCsv('type=oci,"dest=a,b"').length === 2);
 * ```
 */
export function splitCsv(value: string): string[] {
  const fields: string[] = [];
  let cur = "";
  let quoted = false;
  for (let i = 0; i < value.length; i++) {
    const c = value[i]!;
    if (quoted) {
      if (c === '"') {
        if (value[i + 1] === '"') {
          cur += '"';
          i++;
        } else quoted = false;
      } else cur += c;
    } else if (c === '"') quoted = true;
    else if (c === ",") {
      fields.push(cur);
      cur = "";
    } else cur += c;
  }
  if (quoted) throw new UsageError(`unterminated quote in ${JSON.stringify(value)}`);
  fields.push(cur);
  return fields;
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
