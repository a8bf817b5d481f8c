// Copyright 2026 the buildkit-ts authors. MIT license.

/**
 * SOURCE_DATE_EPOCH handling: parsing, formatting as RFC 3339 the way Go
 * prints a UTC `time.Time`, and "is this time after the epoch" with
 * nanosecond precision.
 *
 * @module
 */

import { OutputSpecError } from "./errors.ts";

/**
 * Parses a SOURCE_DATE_EPOCH value (decimal seconds, may be negative, as Go's
 * `strconv.ParseInt`). Returns `undefined` for the empty string (unset).
 *
 * @throws {OutputSpecError} for anything that is not an integer.
 *
 * @example
 * ```ts
 * import { parseSourceDateEpoch } from "./time.ts";
 * console.assert(parseSourceDateEpoch("1445412480") === 1445412480);
 * ```
 */
export function parseSourceDateEpoch(value: string, key = "source-date-epoch"): number | undefined {
  if (value === "") return undefined;
  if (!/^[+-]?\d+$/.test(value)) {
    throw new OutputSpecError(
      `invalid value for ${key}: ${JSON.stringify(value)} is not an integer number of seconds`,
      `${key}=${value}`,
    );
  }
  const n = Number(value);
  if (!Number.isSafeInteger(n)) {
    throw new OutputSpecError(
      `invalid value for ${key}: ${value} is out of range`,
      `${key}=${value}`,
    );
  }
  return n;
}

/**
 * The RFC 3339 text Go's JSON encoder writes for `time.Unix(epoch, 0).UTC()`.
 *
 * @example
 * ```ts
 * import { epochToRfc3339 } from "./time.ts";
 * console.assert(epochToRfc3339(1445412480) === "2015-10-21T07:28:00Z");
 * ```
 */
export function epochToRfc3339(epoch: number): string {
  return new Date(epoch * 1000).toISOString().replace(/\.000Z$/, "Z");
}

const RFC3339 = /^(\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2})(?:\.(\d+))?([Zz]|[+-]\d{2}:\d{2})$/;

/**
 * Tells whether an RFC 3339 time is strictly after `epoch` seconds (Go's
 * `t.After(epoch)`), with sub-second precision. Unparseable times count as
 * after, so they get replaced by the epoch.
 *
 * @example
 * ```ts
 * import { isAfterEpoch } from "./time.ts";
 * console.assert(isAfterEpoch("2015-10-21T07:28:00.5Z", 1445412480));
 * console.assert(!isAfterEpoch("2015-10-21T07:28:00Z", 1445412480));
 * ```
 */
export function isAfterEpoch(time: string, epoch: number): boolean {
  const m = RFC3339.exec(time);
  if (m === null) return true;
  const ms = Date.parse(`${m[1]!.replace("t", "T")}${m[3]!.toUpperCase()}`);
  if (Number.isNaN(ms)) return true;
  const seconds = Math.floor(ms / 1000);
  if (seconds !== epoch) return seconds > epoch;
  return m[2] !== undefined && /[1-9]/.test(m[2]);
}
