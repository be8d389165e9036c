// Auth0's official Node SDK (`auth0`, pinned in package.json) against `user-import serve`,
// no SDK code changed. Run by tests/integration/server_sdk.rs, which starts the server and
// reads the last line this prints.
//
// The SDK only speaks https://DOMAIN (ManagementClient builds `https://${domain}/api/v2` and
// `https://${domain}/oauth/token`); `serve` is plain HTTP on loopback. The SDK takes a
// `fetch` option (BaseClientOptions.fetch, also used by its token provider), so every call
// goes through `loopback` below, which turns `https://HOST:PORT` into `http://HOST:PORT` and
// changes nothing else.
//
// Environment: SERVE_URL (http://127.0.0.1:PORT), CLIENT_ID, CLIENT_SECRET, USERS_FILE (a
// users file with one invalid record), CONNECTIONS (the names serve was started with,
// comma-separated, in creation order), RATE_LIMIT (serve's --rate-limit).

import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { ManagementClient, ManagementError, Management } from "auth0";
import { ManagementClient as LegacyClient } from "auth0/legacy";

const env = (name) => {
  const v = process.env[name];
  assert.ok(v, `${name} is not set`);
  return v;
};
const origin = env("SERVE_URL");
const host = new URL(origin).host;
const connections = env("CONNECTIONS").split(",");
const rateLimit = Number(env("RATE_LIMIT"));
const seen = { token_requests: 0, calls: [] };

async function loopback(input, init) {
  const url = typeof input === "string" ? input : input instanceof URL ? input.href : input.url;
  const https = `https://${host}`;
  assert.ok(url.startsWith(https), `the SDK called ${url}`);
  const plain = origin + url.slice(https.length);
  const path = new URL(plain).pathname;
  if (path === "/oauth/token") seen.token_requests += 1;
  seen.calls.push(`${init?.method ?? "GET"} ${path}${new URL(plain).search}`);
  return fetch(typeof input === "object" && !(input instanceof URL) ? new Request(plain, input) : plain, init);
}

const client = new ManagementClient({
  domain: host,
  clientId: env("CLIENT_ID"),
  clientSecret: env("CLIENT_SECRET"),
  fetch: loopback,
});

const steps = {};

// 1. Connections, as the SDK lists them: `include_totals=true&take=50`, then page by page
//    with `next`/`from`.
{
  const first = await client.connections.list();
  assert.deepEqual(first.data.map((c) => c.name), connections);
  assert.equal(seen.token_requests, 1, "one token for the first call");
  const names = [];
  const paged = await client.connections.list({ take: 2 });
  for await (const c of paged) names.push(c.name);
  assert.deepEqual(names, connections, "every connection once, across pages");
  const listCalls = seen.calls.filter((c) => c.startsWith("GET /api/v2/connections"));
  assert.ok(listCalls.some((c) => c.includes("take=50") && c.includes("include_totals=true")), listCalls.join("\n"));
  assert.ok(listCalls.some((c) => c.includes("from=")), `no checkpoint call: ${listCalls.join("\n")}`);
  const only = await client.connections.list({ fields: "id,name", include_fields: true });
  assert.deepEqual(Object.keys(only.data[0]).sort(), ["id", "name"]);
  steps.connections = names;
}

// 2. A wrong secret: the token endpoint refuses, as Auth0 does.
{
  const wrong = new ManagementClient({
    domain: host,
    clientId: env("CLIENT_ID"),
    clientSecret: "not-the-secret",
    fetch: loopback,
  });
  await assert.rejects(wrong.connections.list(), (e) => {
    assert.ok(e instanceof ManagementError, String(e));
    assert.equal(e.statusCode, 401);
    assert.deepEqual(e.body, { error: "access_denied", error_description: "Unauthorized" });
    return true;
  });
  steps.wrong_secret = 401;
}

// 3. Import, poll, read the failed entries, read the users.
{
  const connection = (await client.connections.list({ name: connections[0] })).data[0];
  const users = await readFile(env("USERS_FILE"));
  const job = await client.jobs.usersImports.create({
    users: { data: users, filename: "users.json", contentType: "application/json" },
    connection_id: connection.id,
    upsert: false,
    external_id: "sdk-node",
    send_completion_email: false,
  });
  assert.equal(job.status, "pending");
  assert.equal(job.type, "users_import");
  assert.equal(job.external_id, "sdk-node");
  assert.match(job.created_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  let status;
  for (let i = 0; ; i++) {
    status = await client.jobs.get(job.id);
    if (status.status === "completed" || status.status === "failed") break;
    assert.ok(i < 600, `job ${job.id} never finished`);
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.equal(status.status, "completed", JSON.stringify(status));
  assert.deepEqual(status.summary, { failed: 1, updated: 0, inserted: 2, total: 3 });
  const errors = await client.jobs.errors.get(job.id);
  assert.equal(errors.length, 1);
  assert.equal(errors[0].errors[0].code, "FORMAT");
  assert.equal(errors[0].user.email, "not-an-email");
  const user = await client.users.get("auth0|sdk1", { fields: "email,user_id", include_fields: true });
  assert.deepEqual(user, { email: "ann@example.com", user_id: "auth0|sdk1" });
  const byEmail = await client.users.listUsersByEmail({ email: "Bo@Example.com" });
  assert.equal(byEmail.length, 1);
  assert.equal(byEmail[0].email, "bo@example.com");
  assert.equal(byEmail[0].identities[0].connection, connections[0]);
  await assert.rejects(client.users.get("auth0|nobody"), (e) => {
    assert.ok(e instanceof Management.NotFoundError, String(e));
    return true;
  });
  steps.job = job.id;
  steps.summary = status.summary;
}

// 4. A burst past the rate limit, without the SDK's retries: Auth0's 429 with its headers.
//    Then the same call with the SDK's retries, which wait as `retry-after` says.
{
  const burst = await Promise.allSettled(
    Array.from({ length: rateLimit * 3 }, () =>
      client.connections.list({}, { maxRetries: 0 }),
    ),
  );
  const refused = burst.filter((r) => r.status === "rejected").map((r) => r.reason);
  assert.ok(refused.length > 0, "no 429 in a burst three times the limit");
  const e = refused[0];
  assert.ok(e instanceof Management.TooManyRequestsError, String(e));
  assert.equal(e.statusCode, 429);
  assert.equal(e.body.message, "Global limit has been reached");
  const h = e.rawResponse.headers;
  const retryAfter = Number(h.get("retry-after"));
  assert.ok(retryAfter >= 1, `retry-after ${h.get("retry-after")}`);
  assert.equal(h.get("x-ratelimit-limit"), String(rateLimit));
  assert.equal(h.get("x-ratelimit-remaining"), "0");
  const reset = Number(h.get("x-ratelimit-reset"));
  assert.ok(reset * 1000 > Date.now() - 1000, `x-ratelimit-reset ${reset}`);
  const started = Date.now();
  const again = await client.connections.list();
  assert.deepEqual(again.data.map((c) => c.name), connections);
  steps.rate_limited = { refused: refused.length, retry_after: retryAfter, waited_ms: Date.now() - started };
}

// 5. The package's `legacy` API (auth0 4.37), which takes the same `fetch` option: its own
//    token, connections by checkpoint with `include_totals`, the job and its errors.
{
  const legacy = new LegacyClient({
    domain: host,
    clientId: env("CLIENT_ID"),
    clientSecret: env("CLIENT_SECRET"),
    fetch: loopback,
  });
  const names = [];
  let from;
  for (let i = 0; i < 10; i++) {
    const page = await legacy.connections.getAll({ include_totals: true, take: 2, from });
    names.push(...page.data.connections.map((c) => c.name));
    from = page.data.next;
    if (!from) break;
  }
  assert.deepEqual(names, connections);
  const job = await legacy.jobs.get({ id: steps.job });
  assert.equal(job.data.status, "completed");
  const errors = await legacy.jobs.getErrors({ id: steps.job });
  assert.equal(errors.data.length, 1);
  const user = await legacy.users.get({ id: "auth0|sdk1", fields: "user_id", include_fields: true });
  assert.deepEqual(user.data, { user_id: "auth0|sdk1" });
  steps.legacy = names;
}

assert.equal(seen.token_requests, 3, "each client asked for one token (the wrong secret once)");
console.log(JSON.stringify({ ok: true, ...steps, token_requests: seen.token_requests }));
