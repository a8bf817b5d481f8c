// Copyright 2026 the buildkit-ts authors. MIT license.

// A fault-injecting HTTP proxy on 127.0.0.1 in front of a test registry:
// answers 500 to the next N requests, resets the connection halfway through
// the first blob download, flips a byte of every blob download, answers 429,
// or redirects blob downloads to another origin.

import * as http from "node:http";
import type { AddressInfo } from "node:net";

/** The faults to inject; change them between requests. */
export interface Faults {
  /** Answer 500 to this many of the next requests (decremented as they come). */
  fail500: number;
  /** Answer 429 (with `Retry-After: 0`) to this many of the next requests. */
  fail429: number;
  /** Cut the connection halfway through the next blob GET (once). */
  resetNextBlobGet: boolean;
  /** Flip one byte in the middle of every blob GET body. */
  corruptBlobs: boolean;
  /** Redirect blob GETs to this origin + the original path (`http://localhost:<port>`). */
  redirectBlobsTo: string | undefined;
}

/** One request the proxy saw. */
export interface ProxyRequest {
  method: string;
  url: string;
  status: number;
  authorization: boolean;
}

/** A running proxy. */
export interface FaultyProxy {
  /** `127.0.0.1:<port>`: use it as the registry domain. */
  host: string;
  /** The faults in force. */
  faults: Faults;
  /** What it saw. */
  requests: ProxyRequest[];
  /** Stops the proxy. */
  stop(): Promise<void>;
}

const BLOB_GET = /^\/v2\/.+\/blobs\/sha256:[0-9a-f]{64}$/;

/** Starts a proxy forwarding to `http://<upstream>` (`127.0.0.1:<port>`). */
export function startFaultyProxy(upstream: string): Promise<FaultyProxy> {
  const [upHost, upPort] = upstream.split(":") as [string, string];
  const faults: Faults = {
    fail500: 0,
    fail429: 0,
    resetNextBlobGet: false,
    corruptBlobs: false,
    redirectBlobsTo: undefined,
  };
  const requests: ProxyRequest[] = [];
  const server = http.createServer((req, res) => {
    const url = req.url ?? "/";
    const record = (status: number) =>
      requests.push({
        method: req.method ?? "GET",
        url,
        status,
        authorization: req.headers.authorization !== undefined,
      });
    if (faults.fail500 > 0) {
      faults.fail500--;
      record(500);
      req.resume();
      res.writeHead(500, { "content-type": "application/json" }).end(
        '{"errors":[{"code":"UNKNOWN","message":"injected failure"}]}',
      );
      return;
    }
    if (faults.fail429 > 0) {
      faults.fail429--;
      record(429);
      req.resume();
      res.writeHead(429, { "retry-after": "0" }).end();
      return;
    }
    const isBlobGet = req.method === "GET" && BLOB_GET.test(url.split("?")[0]!);
    if (isBlobGet && faults.redirectBlobsTo !== undefined) {
      record(307);
      req.resume();
      res.writeHead(307, { location: faults.redirectBlobsTo + url }).end();
      return;
    }
    const upReq = http.request({
      host: upHost,
      port: Number(upPort),
      method: req.method,
      path: url,
      headers: req.headers,
    }, (upRes) => {
      const status = upRes.statusCode ?? 502;
      record(status);
      // Decide the fault when the response starts: concurrent blob GETs must not both
      // take the one reset, nor fall into corruption when only a reset was asked for.
      const mode = !isBlobGet || status !== 200
        ? undefined
        : faults.resetNextBlobGet
        ? "reset"
        : faults.corruptBlobs
        ? "corrupt"
        : undefined;
      if (mode === "reset") faults.resetNextBlobGet = false;
      if (mode !== undefined) {
        const chunks: Buffer[] = [];
        upRes.on("data", (c: Buffer) => chunks.push(c));
        upRes.on("end", () => {
          const body = Buffer.concat(chunks);
          res.writeHead(status, upRes.headers);
          if (mode === "reset") {
            res.write(body.subarray(0, Math.floor(body.length / 2)), () => {
              setTimeout(() => res.socket?.destroy(), 20);
            });
            return;
          }
          if (body.length > 0) body[Math.floor(body.length / 2)]! ^= 0x01;
          res.end(body);
        });
        return;
      }
      res.writeHead(status, upRes.headers);
      upRes.pipe(res);
    });
    upReq.on("error", () => {
      record(502);
      if (!res.headersSent) res.writeHead(502).end();
      else res.destroy();
    });
    req.pipe(upReq);
  });
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const port = (server.address() as AddressInfo).port;
      resolve({
        host: `127.0.0.1:${port}`,
        faults,
        requests,
        stop: () =>
          new Promise<void>((r) => {
            server.closeAllConnections?.();
            server.close(() => r());
          }),
      });
    });
  });
}
