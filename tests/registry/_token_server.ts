// Copyright 2026 the buildkit-ts authors. MIT license.

// A bearer-token server for the distribution registry's `auth: token` mode:
// checks Basic credentials, grants the scopes asked for, and signs RS256 JWTs
// with a key whose certificate is in the registry's `rootcertbundle`.

import * as http from "node:http";
import { createHash, createSign, randomUUID, X509Certificate } from "node:crypto";
import type { AddressInfo } from "node:net";

/** One token request the server saw. */
export interface TokenRequest {
  /** The `scope` parameters. */
  scopes: string[];
  /** The user who authenticated, or `undefined` for anonymous. */
  account: string | undefined;
  /** The `service` parameter. */
  service: string | null;
}

/** A running token server. */
export interface TokenServer {
  /** The realm URL (`http://127.0.0.1:<port>/token`). */
  realm: string;
  /** The issuer name the registry must trust. */
  issuer: string;
  /** Every request, in order. */
  requests: TokenRequest[];
  /** Lifetime of the issued tokens in seconds (changeable). */
  expiresIn: number;
  /** Stops the server. */
  stop(): Promise<void>;
}

function b64url(data: string | Uint8Array): string {
  return Buffer.from(data).toString("base64").replace(/=+$/, "").replace(/\+/g, "-").replace(
    /\//g,
    "_",
  );
}

// libtrust's key ID: base32 of the first 240 bits of sha256(DER SubjectPublicKeyInfo),
// in groups of 4 characters joined by ':' (what distribution 2.x matches `kid` against).
function libtrustKeyId(certPem: string): string {
  const der = new X509Certificate(certPem).publicKey.export({ type: "spki", format: "der" });
  const sum = createHash("sha256").update(der).digest().subarray(0, 30);
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  let bits = 0;
  let value = 0;
  let out = "";
  for (const byte of sum) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += alphabet[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  return out.match(/.{4}/g)!.join(":");
}

/** Starts a token server on 127.0.0.1 for `user`/`pass`. */
export function startTokenServer(options: {
  user: string;
  pass: string;
  keyPem: string;
  certPem: string;
  service: string;
  issuer?: string;
  /** Let requests without credentials have pull tokens. */
  anonymousPull?: boolean;
}): Promise<TokenServer> {
  const issuer = options.issuer ?? "buildkit-ts-test-issuer";
  const kid = libtrustKeyId(options.certPem);
  const requests: TokenRequest[] = [];
  const state = { expiresIn: 300 };
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://x");
    if (url.pathname !== "/token") {
      res.writeHead(404).end();
      return;
    }
    const scopes = url.searchParams.getAll("scope");
    let account: string | undefined;
    const auth = req.headers.authorization;
    if (auth?.startsWith("Basic ")) {
      const text = Buffer.from(auth.slice(6), "base64").toString("utf8");
      const colon = text.indexOf(":");
      if (text.slice(0, colon) !== options.user || text.slice(colon + 1) !== options.pass) {
        res.writeHead(401, { "content-type": "application/json" }).end(
          JSON.stringify({ errors: [{ code: "UNAUTHORIZED", message: "bad credentials" }] }),
        );
        return;
      }
      account = options.user;
    } else if (!options.anonymousPull) {
      res.writeHead(401, { "www-authenticate": 'Basic realm="token"' }).end();
      return;
    }
    requests.push({ scopes, account, service: url.searchParams.get("service") });
    const access = scopes.flatMap((s) => {
      const parts = s.split(":");
      if (parts.length < 3) return [];
      const actions = parts.pop()!.split(",");
      const type = parts.shift()!;
      const granted = account === undefined ? actions.filter((a) => a === "pull") : actions;
      return [{ type, name: parts.join(":"), actions: granted }];
    });
    const now = Math.floor(Date.now() / 1000);
    const header = { typ: "JWT", alg: "RS256", kid };
    const claims = {
      iss: issuer,
      sub: account ?? "",
      aud: options.service,
      exp: now + state.expiresIn,
      nbf: now - 10,
      iat: now,
      jti: randomUUID(),
      access,
    };
    const input = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(claims))}`;
    const signature = createSign("RSA-SHA256").update(input).sign(options.keyPem);
    const token = `${input}.${b64url(signature)}`;
    res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({
      token,
      access_token: token,
      expires_in: state.expiresIn,
      issued_at: new Date(now * 1000).toISOString(),
    }));
  });
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const port = (server.address() as AddressInfo).port;
      resolve({
        realm: `http://127.0.0.1:${port}/token`,
        issuer,
        requests,
        get expiresIn() {
          return state.expiresIn;
        },
        set expiresIn(v: number) {
          state.expiresIn = v;
        },
        stop: () =>
          new Promise<void>((r) => {
            server.closeAllConnections?.();
            server.close(() => r());
          }),
      });
    });
  });
}
