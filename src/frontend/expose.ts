// Copyright 2026 the buildkit-ts authors. MIT license.
// This module is browser compatible.

/**
 * EXPOSE port specifications (`dockerfile2llb/convert_expose.go`):
 * `[ip:][hostPort:]containerPort[-end][/proto]`. Ranges are expanded, the
 * protocol defaults to `tcp` and is lower-cased, host IP and host port are
 * validated and then dropped.
 *
 * @module
 */

/** A lint finding raised while parsing a port spec. */
export interface ExposeWarning {
  /** `ExposeProtoCasing` (protocol not lower case) or `ExposeInvalidFormat` (ip/host part given). */
  rule: "ExposeProtoCasing" | "ExposeInvalidFormat";
  /** The spec as written. */
  spec: string;
}

/** Go's `strconv.ParseInt(s, 10, 0)` followed by the 0–65535 range check. */
function parsePortNumber(raw: string): number {
  if (raw === "") throw new Error("value is empty");
  if (!/^[+-]?[0-9]+$/.test(raw)) throw new Error("invalid syntax");
  const n = Number(raw);
  if (n < 0 || n > 65535) throw new Error("value out of range (0–65535)");
  return n;
}

function parsePortRange(ports: string): [number, number] {
  if (ports === "") throw new Error("empty string specified for ports");
  const dash = ports.indexOf("-");
  const start = dash < 0 ? ports : ports.slice(0, dash);
  const end = dash < 0 ? "" : ports.slice(dash + 1);
  const startPort = parsePortNumber(start);
  if (dash < 0 || start === end) return [startPort, startPort];
  const endPort = parsePortNumber(end);
  if (endPort < startPort) throw new Error("invalid port range: " + ports);
  return [startPort, endPort];
}

function splitParts(raw: string): [string, string, string] {
  const parts = raw.split(":");
  const n = parts.length;
  if (n === 1) return ["", "", parts[0] as string];
  if (n === 2) return ["", parts[0] as string, parts[1] as string];
  return [parts.slice(0, n - 2).join(":"), parts[n - 2] as string, parts[n - 1] as string];
}

/** Go's `net.SplitHostPort(ip + ":")` host part, for a bracketed IPv6 literal. */
function stripBrackets(ip: string): string {
  const hostport = ip + ":";
  const fail = (why: string): never => {
    throw new Error(`invalid IP address ${ip}: address ${hostport}: ${why}`);
  };
  const i = hostport.lastIndexOf(":");
  const end = hostport.indexOf("]");
  if (end < 0) fail("missing ']' in address");
  if (end + 1 === hostport.length) fail("missing port in address");
  if (end + 1 !== i) {
    fail(hostport[end + 1] === ":" ? "too many colons in address" : "missing port in address");
  }
  if (hostport.indexOf("[", 1) >= 0) fail("unexpected '[' in address");
  if (hostport.indexOf("]", end + 1) >= 0) fail("unexpected ']' in address");
  return hostport.slice(1, end);
}

function isIPv4(s: string): boolean {
  const parts = s.split(".");
  if (parts.length !== 4) return false;
  return parts.every((p) =>
    /^[0-9]{1,3}$/.test(p) && (p.length === 1 || p[0] !== "0") && Number(p) <= 255
  );
}

/** Go's `net.ParseIP` acceptance (IPv4 dotted quad or IPv6 with optional trailing IPv4). */
export function isValidIp(s: string): boolean {
  if (s.includes(".") && !s.includes(":")) return isIPv4(s);
  if (!s.includes(":")) return false;
  let rest = s;
  let groups = 0;
  let ellipsis = false;
  if (rest.startsWith("::")) {
    ellipsis = true;
    rest = rest.slice(2);
    if (rest === "") return true;
  }
  while (rest.length > 0) {
    const m = /^[0-9a-fA-F]{1,4}/.exec(rest);
    if (!m) return false;
    const tail = rest.slice(m[0].length);
    if (tail.startsWith(".")) {
      // Embedded IPv4 must be the last element.
      if (!isIPv4(rest) || groups > 6) return false;
      groups += 2;
      rest = "";
      break;
    }
    groups++;
    rest = tail;
    if (rest === "") break;
    if (!rest.startsWith(":")) return false;
    rest = rest.slice(1);
    if (rest.startsWith(":")) {
      if (ellipsis) return false;
      ellipsis = true;
      rest = rest.slice(1);
      if (rest === "") break;
    } else if (rest === "") {
      return false;
    }
    if (groups >= 8) return false;
  }
  return ellipsis ? groups < 8 : groups === 8;
}

function parsePort(raw: string, warnings: ExposeWarning[]): string[] {
  let [ip, hostPort, containerPort] = splitParts(raw);
  const slash = containerPort.indexOf("/");
  const proto = slash < 0 ? "" : containerPort.slice(slash + 1);
  containerPort = slash < 0 ? containerPort : containerPort.slice(0, slash);
  if (containerPort === "") {
    throw new Error(`invalid port: ${JSON.stringify(raw)}: no port specified`);
  }
  const lower = proto.toLowerCase();
  if (lower !== "" && lower !== "tcp" && lower !== "udp" && lower !== "sctp") {
    throw new Error(`invalid port: ${JSON.stringify(raw)}: invalid proto: ${proto}`);
  }
  const effectiveProto = proto === "" ? "tcp" : proto;
  if (effectiveProto !== effectiveProto.toLowerCase()) {
    warnings.push({ rule: "ExposeProtoCasing", spec: raw });
  }
  if (ip !== "" || hostPort !== "") warnings.push({ rule: "ExposeInvalidFormat", spec: raw });
  if (ip !== "" && ip[0] === "[") ip = stripBrackets(ip);
  if (ip !== "" && !isValidIp(ip)) throw new Error("invalid IP address: " + ip);
  let start: number;
  let end: number;
  try {
    [start, end] = parsePortRange(containerPort);
  } catch {
    throw new Error("invalid containerPort: " + containerPort);
  }
  if (hostPort !== "") {
    let hs: number;
    let he: number;
    try {
      [hs, he] = parsePortRange(hostPort);
    } catch {
      throw new Error("invalid hostPort: " + hostPort);
    }
    if (end - start !== he - hs && end !== start) {
      throw new Error(
        `invalid ranges specified for container and host Ports: ${containerPort} and ${hostPort}`,
      );
    }
  }
  const out: string[] = [];
  const suffix = "/" + effectiveProto.toLowerCase();
  for (let p = start; p <= end; p++) out.push(String(p) + suffix);
  return out;
}

/**
 * Parses EXPOSE port specs (already word-expanded; BuildKit's instruction
 * parser sorts them first) into `port/proto` strings, in order, ranges
 * expanded. Throws an Error with BuildKit's message for an invalid spec, e.g.
 * `invalid port: "": no port specified`.
 *
 * @example
 * ```ts
 * import { parsePortSpecs } from "./expose.ts";
 * const { ports, warnings } = parsePortSpecs(["80", "0.0.0.0:1000-1001:53-54/UDP"]);
 * console.assert(ports.join(" ") === "80/tcp 53/udp 54/udp");
 * console.assert(warnings.length === 2);
 * ```
 */
export function parsePortSpecs(
  specs: readonly string[],
): { ports: string[]; warnings: ExposeWarning[] } {
  const ports: string[] = [];
  const warnings: ExposeWarning[] = [];
  for (const spec of specs) ports.push(...parsePort(spec, warnings));
  return { ports, warnings };
}
