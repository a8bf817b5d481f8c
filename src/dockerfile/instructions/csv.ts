// Copyright 2026 the buildkit-ts authors. MIT license.
// This module is browser compatible.

/**
 * One-line CSV splitting as done by `github.com/tonistiigi/go-csvvalue`
 * (strict quotes, comma separator), used by `RUN --mount` and `--device`.
 *
 * @module
 */

/**
 * Splits one CSV line into fields. A field that starts with `"` is quoted and
 * `""` inside it stands for one quote; a quote anywhere else is an error.
 *
 * @throws {Error} `EOF` for an empty line; `parse error on line 1, column N:
 * bare " in non-quoted-field` / `extraneous or missing " in quoted-field`.
 *
 * @example
 * ```ts
 * import { parseCsvFields } from "./csv.ts";
 * const f = parseCsvFields('type=bind,"source=a,b",ro');
 * console.assert(f.length === 3 && f[1] === "source=a,b");
 * ```
 */
export function parseCsvFields(input: string): string[] {
  let line = input;
  if (line.endsWith("\r\n")) line = line.slice(0, -2);
  else if (line.endsWith("\n")) line = line.slice(0, -1);
  if (line === "") throw new Error("EOF");
  const enc = new TextEncoder();
  // Columns are byte offsets, like Go's.
  const col = (charIndex: number) => enc.encode(line.slice(0, charIndex)).length + 1;
  const bare = (i: number) =>
    new Error(`parse error on line 1, column ${col(i)}: bare " in non-quoted-field`);
  const extraneous = (i: number) =>
    new Error(`parse error on line 1, column ${col(i)}: extraneous or missing " in quoted-field`);

  const fields: string[] = [];
  let pos = 0;
  for (;;) {
    if (pos >= line.length || line[pos] !== '"') {
      const comma = line.indexOf(",", pos);
      const field = comma >= 0 ? line.slice(pos, comma) : line.slice(pos);
      const q = field.indexOf('"');
      if (q >= 0) throw bare(pos + q);
      fields.push(field);
      if (comma < 0) return fields;
      pos = comma + 1;
      continue;
    }
    pos++; // opening quote
    let field = "";
    for (;;) {
      const q = line.indexOf('"', pos);
      if (q < 0) throw extraneous(pos);
      field += line.slice(pos, q);
      pos = q + 1;
      const next = line[pos];
      if (next === '"') {
        field += '"';
        pos++;
      } else if (next === ",") {
        fields.push(field);
        pos++;
        break;
      } else if (next === undefined) {
        fields.push(field);
        return fields;
      } else {
        throw extraneous(pos - 1);
      }
    }
  }
}
