// Copyright 2026 the buildkit-ts authors. MIT license.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  bestMatch,
  defaultPlatform,
  formatPlatform,
  InvalidPlatformError,
  matchPlatform,
  normalizePlatform,
  parsePlatform,
  type Platform,
  platformFromOci,
  platformMatchRank,
  platformToOci,
} from "../../src/oci/mod.ts";

// [specifier, formatted normalized platform]
const PARSE: [string, string][] = [
  ["linux/amd64", "linux/amd64"],
  ["linux/x86_64", "linux/amd64"],
  ["linux/x86-64", "linux/amd64"],
  ["linux/amd64/v1", "linux/amd64"],
  ["linux/amd64/v3", "linux/amd64/v3"],
  ["linux/i386", "linux/386"],
  ["linux/arm64", "linux/arm64"],
  ["linux/aarch64", "linux/arm64"],
  ["linux/arm64/v8", "linux/arm64"],
  ["linux/arm64/8", "linux/arm64"],
  ["linux/arm64/v9", "linux/arm64/v9"],
  ["linux/arm", "linux/arm/v7"],
  ["linux/arm/7", "linux/arm/v7"],
  ["linux/arm/v6", "linux/arm/v6"],
  ["linux/arm/5", "linux/arm/v5"],
  ["linux/armhf", "linux/arm/v7"],
  ["linux/armel", "linux/arm/v6"],
  ["Linux/AMD64", "linux/amd64"],
  ["macos/arm64", "darwin/arm64"],
  ["linux/riscv64", "linux/riscv64"],
  ["linux/s390x", "linux/s390x"],
  ["linux/ppc64le", "linux/ppc64le"],
  ["windows/amd64", "windows/amd64"],
  ["linux", "linux/amd64"],
  ["arm64", "linux/arm64"],
  ["aarch64", "linux/arm64"],
  ["armhf", "linux/arm/v7"],
];

const BAD: [string, RegExp][] = [
  ["linux/*", /wildcards/],
  ["linux/amd64/v2/x", /at most/],
  ["linux/am d64", /not a valid component/],
  ["linux/", /not a valid component/],
  ["/amd64", /not a valid OS component/],
  ["notanos", /unknown operating system or architecture/],
];

describe("parsePlatform()", () => {
  for (const [spec, want] of PARSE) {
    it(`parsePlatform() normalizes ${spec} to ${want}`, () => {
      assert.equal(formatPlatform(parsePlatform(spec)), want);
    });
  }
  for (const [spec, message] of BAD) {
    it(`parsePlatform() rejects ${JSON.stringify(spec)}`, () => {
      assert.throws(() => parsePlatform(spec), (e: unknown) => {
        assert.ok(e instanceof InvalidPlatformError);
        assert.match(e.message, message);
        return true;
      });
    });
  }
  it("parsePlatform() leaves out the variant field for arm64/v8", () => {
    assert.deepEqual(parsePlatform("linux/arm64/v8"), { os: "linux", architecture: "arm64" });
  });
  it("parsePlatform() completes a bare OS from the host defaults", () => {
    assert.deepEqual(parsePlatform("linux", { architecture: "arm", variant: "v6" }), {
      os: "linux",
      architecture: "arm",
      variant: "v6",
    });
  });
  it("parsePlatform() completes a bare architecture with the host OS", () => {
    assert.equal(formatPlatform(parsePlatform("s390x", { os: "freebsd" })), "freebsd/s390x");
  });
  it("parsePlatform() reads an OS version and features in parentheses", () => {
    const p = parsePlatform("windows(10.0.17763+win32k+a%2Bb)/amd64");
    assert.deepEqual(p, {
      os: "windows",
      architecture: "amd64",
      osVersion: "10.0.17763",
      osFeatures: ["a+b", "win32k"],
    });
    assert.equal(
      formatPlatform(p, { includeOsVersion: true }),
      "windows(10.0.17763+a%2Bb+win32k)/amd64",
    );
    assert.equal(formatPlatform(p), "windows/amd64");
  });
});

describe("normalizePlatform()", () => {
  it("normalizePlatform() sorts and de-duplicates OS features", () => {
    const p = normalizePlatform({
      os: "windows",
      architecture: "amd64",
      osFeatures: ["b", "a", "b"],
    });
    assert.deepEqual(p.osFeatures, ["a", "b"]);
  });
  it("formatPlatform() writes unknown for an empty OS", () => {
    assert.equal(formatPlatform({ os: "", architecture: "amd64" }), "unknown");
  });
});

describe("defaultPlatform()", () => {
  const cases: [string, string, string][] = [
    ["x86_64", "linux", "linux/amd64"],
    ["x64", "linux", "linux/amd64"],
    ["aarch64", "linux", "linux/arm64"],
    ["arm64", "darwin", "darwin/arm64"],
    ["ia32", "win32", "windows/386"],
    ["arm", "linux", "linux/arm/v7"],
  ];
  for (const [arch, os, want] of cases) {
    it(`defaultPlatform() maps host ${arch}/${os} to ${want}`, () => {
      assert.equal(formatPlatform(defaultPlatform(arch, os)), want);
    });
  }
});

// [want, have, rank] — rank -1 means no match. Order follows containerd platforms.Only.
const MATCH: [string, string, number][] = [
  ["linux/amd64", "linux/amd64", 0],
  ["linux/amd64", "linux/x86_64", 0],
  ["linux/amd64", "linux/386", 1],
  ["linux/amd64", "linux/amd64/v2", -1],
  ["linux/amd64/v3", "linux/amd64/v3", 0],
  ["linux/amd64/v3", "linux/amd64/v2", 1],
  ["linux/amd64/v3", "linux/amd64", 2],
  ["linux/amd64/v3", "linux/386", 3],
  ["linux/amd64/v2", "linux/amd64/v4", -1],
  ["linux/arm64", "linux/arm64", 0],
  ["linux/arm64", "linux/arm64/v8", 0],
  ["linux/arm64", "linux/arm/v8", 1],
  ["linux/arm64", "linux/arm/v7", 2],
  ["linux/arm64", "linux/arm/v6", 3],
  ["linux/arm64", "linux/arm/v5", 4],
  ["linux/arm64", "linux/amd64", -1],
  ["linux/arm64/v8.2", "linux/arm64/v8.1", 1],
  ["linux/arm64/v8.2", "linux/arm64", 2],
  ["linux/arm64/v9", "linux/arm64/v8.5", 1],
  ["linux/arm64/v9", "linux/arm64/v8.4", 2],
  ["linux/arm64/v9", "linux/arm64", 6],
  ["linux/arm/v7", "linux/arm", 0],
  ["linux/arm/v7", "linux/arm/v6", 1],
  ["linux/arm/v7", "linux/arm/v5", 2],
  ["linux/arm/v6", "linux/arm/v7", -1],
  ["linux/arm/v7", "linux/arm64", -1],
  ["linux/amd64", "windows/amd64", -1],
  ["linux/386", "linux/amd64", -1],
];

describe("matchPlatform()", () => {
  for (const [want, have, rank] of MATCH) {
    it(`matchPlatform() ${rank < 0 ? "refuses" : "accepts"} ${have} for ${want}`, () => {
      const w = parsePlatform(want);
      const h = parsePlatform(have);
      assert.equal(platformMatchRank(w, h), rank);
      assert.equal(matchPlatform(w, h), rank >= 0);
    });
  }
  it("matchPlatform() requires the candidate's OS features to be wanted", () => {
    const want: Platform = { os: "windows", architecture: "amd64", osFeatures: ["win32k"] };
    assert.ok(matchPlatform(want, { os: "windows", architecture: "amd64" }));
    assert.ok(
      matchPlatform(want, { os: "windows", architecture: "amd64", osFeatures: ["win32k"] }),
    );
    assert.ok(!matchPlatform(want, { os: "windows", architecture: "amd64", osFeatures: ["x"] }));
  });
  it("matchPlatform() compares Windows builds by major.minor.build", () => {
    const want: Platform = { os: "windows", architecture: "amd64", osVersion: "10.0.17763.1" };
    assert.ok(matchPlatform(want, { ...want, osVersion: "10.0.17763.999" }));
    assert.ok(!matchPlatform(want, { ...want, osVersion: "10.0.20348.1" }));
  });
});

describe("bestMatch()", () => {
  it("bestMatch() prefers the exact platform over fallbacks regardless of order", () => {
    const candidates = ["linux/arm/v6", "linux/arm/v7", "linux/arm64", "linux/amd64"].map((s) =>
      parsePlatform(s)
    );
    assert.equal(
      formatPlatform(bestMatch(parsePlatform("linux/arm64"), candidates)!),
      "linux/arm64",
    );
    assert.equal(
      formatPlatform(bestMatch(parsePlatform("linux/arm/v7"), candidates)!),
      "linux/arm/v7",
    );
  });
  it("bestMatch() falls back in containerd order", () => {
    const candidates = [parsePlatform("linux/arm/v5"), parsePlatform("linux/arm/v6")];
    assert.equal(bestMatch(parsePlatform("linux/arm64"), candidates)?.variant, "v6");
  });
  it("bestMatch() returns undefined when nothing fits", () => {
    assert.equal(
      bestMatch(parsePlatform("linux/s390x"), [parsePlatform("linux/amd64")]),
      undefined,
    );
  });
});

describe("platformToOci()", () => {
  it("platformToOci() writes Go field order and platformFromOci() reads it back", () => {
    const p: Platform = {
      os: "windows",
      architecture: "amd64",
      variant: "v2",
      osVersion: "10.0",
      osFeatures: ["win32k"],
    };
    const oci = platformToOci(p);
    assert.deepEqual(Object.keys(oci), [
      "architecture",
      "os",
      "os.version",
      "os.features",
      "variant",
    ]);
    assert.deepEqual(platformFromOci(oci), p);
  });
});
