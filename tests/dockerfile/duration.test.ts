// Copyright 2026 the buildkit-ts authors. MIT license.

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  formatDuration,
  parseDuration,
  parseDurationBigInt,
} from "../../src/dockerfile/instructions/mod.ts";

describe("duration", () => {
  it("parseDuration() reads Go duration strings", () => {
    assert.equal(parseDuration("0"), 0);
    assert.equal(parseDuration("1h30m"), 5_400_000_000_000);
    assert.equal(parseDuration("1.5s"), 1_500_000_000);
    assert.equal(parseDuration(".5s"), 500_000_000);
    assert.equal(parseDuration("1.s"), 1_000_000_000);
    assert.equal(parseDuration("-2ms"), -2_000_000);
    assert.equal(parseDuration("+3us"), 3_000);
    assert.equal(parseDuration("3\u00b5s"), 3_000);
    assert.equal(parseDuration("3\u03bcs"), 3_000);
    assert.equal(parseDuration("50ns"), 50);
    assert.equal(parseDuration("1m0.5s"), 60_500_000_000);
  });

  it("parseDurationBigInt() is exact at the int64 limits", () => {
    assert.equal(parseDurationBigInt("9223372036854775807ns"), 9223372036854775807n);
    assert.equal(parseDurationBigInt("-9223372036854775808ns"), -9223372036854775808n);
    assert.throws(() => parseDurationBigInt("9223372036854775808ns"), /invalid duration/);
  });

  it("parseDuration() rejects malformed strings with Go's messages", () => {
    assert.throws(() => parseDuration(""), { message: 'time: invalid duration ""' });
    assert.throws(() => parseDuration("5"), { message: 'time: missing unit in duration "5"' });
    assert.throws(() => parseDuration("5x"), {
      message: 'time: unknown unit "x" in duration "5x"',
    });
    assert.throws(() => parseDuration("."), { message: 'time: invalid duration "."' });
    assert.throws(() => parseDuration("1s."), { message: 'time: invalid duration "1s."' });
    assert.throws(() => parseDuration("1s-"), {
      message: 'time: unknown unit "s-" in duration "1s-"',
    });
  });

  it("formatDuration() matches Go's Duration.String()", () => {
    assert.equal(formatDuration(0), "0s");
    assert.equal(formatDuration(1), "1ns");
    assert.equal(formatDuration(1_500), "1.5\u00b5s");
    assert.equal(formatDuration(1_500_000), "1.5ms");
    assert.equal(formatDuration(1_500_000_000), "1.5s");
    assert.equal(formatDuration(90_000_000_000), "1m30s");
    assert.equal(formatDuration(3_600_000_000_000), "1h0m0s");
    assert.equal(formatDuration(-1_000_000_000), "-1s");
    assert.equal(formatDuration(30_000_000_000n), "30s");
  });
});
