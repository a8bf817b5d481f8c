// Copyright 2026 the buildkit-ts authors. MIT license.
// This module is browser compatible.

/** A CSV record that Go's `encoding/csv` would refuse; `reason` says why. */
export class CsvError extends SyntaxError {
  readonly reason: string;
  constructor(text: string, reason: string) {
    super(`invalid CSV ${JSON.stringify(text)}: ${reason}`);
    this.name = "CsvError";
    this.reason = reason;
  }
}

/**
 * Splits one CSV record as Go's `encoding/csv` reader does (what buildx uses for
 * `--output`, `--cache-to`, `--secret` …): commas separate fields; a field that
 * starts with `"` is quoted, with `""` for a quote; a bare `"` elsewhere, text after
 * a closing quote, or an unterminated quote is an error.
 *
 * @example
 * ```ts
 * import { splitCsv } from "./csv.ts";
 * console.assert(splitCsv('type=oci,"name=a,b",x=""').join("|") === "type=oci|name=a,b|x=");
 * ```
 */
export function splitCsv(text: string): string[] {
  const fields: string[] = [];
  let i = 0;
  while (true) {
    let field = "";
    if (text[i] === '"') {
      i++;
      while (true) {
        if (i >= text.length) throw new CsvError(text, "unterminated quote");
        if (text[i] === '"') {
          if (text[i + 1] === '"') {
            field += '"';
            i += 2;
            continue;
          }
          i++;
          break;
        }
        field += text[i++];
      }
      if (i < text.length && text[i] !== ",") {
        throw new CsvError(text, "extraneous character after a quoted field");
      }
    } else {
      while (i < text.length && text[i] !== ",") {
        if (text[i] === '"') throw new CsvError(text, 'bare " in a non-quoted field');
        field += text[i++];
      }
    }
    fields.push(field);
    if (i >= text.length) return fields;
    i++; // the comma
  }
}
