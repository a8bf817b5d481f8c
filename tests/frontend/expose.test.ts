// Copyright 2026 the buildkit-ts authors. MIT license.

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { isValidIp, parsePortSpecs } from "../../src/frontend/expose.ts";

describe("expose", () => {
  it("parsePortSpecs() expands ranges and defaults the protocol to tcp", () => {
    assert.deepEqual(parsePortSpecs(["80", "1000-1002/udp", "7-7/sctp"]).ports, [
      "80/tcp",
      "1000/udp",
      "1001/udp",
      "1002/udp",
      "7/sctp",
    ]);
  });

  it("parsePortSpecs() drops ip and host parts and lower-cases the protocol, with lint warnings", () => {
    const r = parsePortSpecs(["0.0.0.0:1234-1235:3333-3334/TCP", "[::1]:80:80"]);
    assert.deepEqual(r.ports, ["3333/tcp", "3334/tcp", "80/tcp"]);
    assert.deepEqual(r.warnings, [
      { rule: "ExposeProtoCasing", spec: "0.0.0.0:1234-1235:3333-3334/TCP" },
      { rule: "ExposeInvalidFormat", spec: "0.0.0.0:1234-1235:3333-3334/TCP" },
      { rule: "ExposeInvalidFormat", spec: "[::1]:80:80" },
    ]);
    assert.deepEqual(parsePortSpecs(["2001:4860:0:2001::68::333"]).ports, ["333/tcp"]);
  });

  it("parsePortSpecs() rejects bad specs with BuildKit's messages", () => {
    const err = (spec: string) => {
      try {
        parsePortSpecs([spec]);
      } catch (e) {
        return (e as Error).message;
      }
      return "no error";
    };
    assert.equal(err(""), 'invalid port: "": no port specified');
    assert.equal(err("80/xtp"), 'invalid port: "80/xtp": invalid proto: xtp');
    assert.equal(err("localhost:1234:1234/tcp"), "invalid IP address: localhost");
    assert.equal(err("70000"), "invalid containerPort: 70000");
    assert.equal(err("20-10"), "invalid containerPort: 20-10");
    assert.equal(err("x:80"), "invalid hostPort: x");
    assert.equal(
      err("1-3:5-6"),
      "invalid ranges specified for container and host Ports: 5-6 and 1-3",
    );
    assert.deepEqual(parsePortSpecs(["1-3:5"]).ports, ["5/tcp"]);
  });

  it("isValidIp() accepts IPv4 and IPv6 forms like net.ParseIP", () => {
    for (
      const ok of [
        "0.0.0.0",
        "::",
        "::1",
        "1::",
        "2001:db8::1",
        "::ffff:1.2.3.4",
        "1:2:3:4:5:6:7:8",
      ]
    ) {
      assert.equal(isValidIp(ok), true, ok);
    }
    for (
      const bad of [
        "localhost",
        "1.2.3",
        "01.2.3.4",
        "1:2:3:4:5:6:7:8:9",
        "1::2::3",
        "1:",
        "256.1.1.1",
      ]
    ) {
      assert.equal(isValidIp(bad), false, bad);
    }
  });
});
