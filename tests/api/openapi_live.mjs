// Checks docs/api/openapi.json against a running `chimera serve`: the document it serves is
// the file, each operation answers as documented without a token (the public ones 200, the
// rest 401 with WWW-Authenticate), and with an admin token the bodies of the read routes,
// of the errors and of a job match the document's schemas.
//
// usage: node openapi_live.mjs NPM_DIR DOC URL TOKEN MACHINE LOCAL
//   URL      the server's base URL (http://127.0.0.1:PORT)
//   TOKEN    an admin token
//   MACHINE  a machine of the server's chimera.toml whose target is unreachable
//   LOCAL    a machine whose target is local (the server's own host: `sleep 2` runs there)
//
// Each request without a token comes from its own loopback address (127.0.0.N), so the
// server's limit on failed authentications (10 a minute per client) is not what answers.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { request } from "node:http";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";

const [npmDir, docFile, base, token, machine, local] = process.argv.slice(2);
if (!local) {
	console.error("usage: node openapi_live.mjs NPM_DIR DOC URL TOKEN MACHINE LOCAL");
	process.exit(2);
}
const req = createRequire(join(resolve(npmDir), "package.json"));
const { default: Ajv2020 } = await import(pathToFileURL(req.resolve("ajv/dist/2020.js")).href);

const doc = JSON.parse(readFileSync(docFile, "utf-8"));
const ajv = new Ajv2020({ strict: false, validateFormats: false, allErrors: true });
ajv.addSchema(doc, "openapi.json");

const problems = [];
let checked = 0;
const problem = (msg) => problems.push(msg);
const esc = (s) => s.replaceAll("~", "~0").replaceAll("/", "~1");
const deref = (o) => {
	while (o && typeof o.$ref === "string")
		o = o.$ref.slice(2).split("/").reduce((n, k) => n?.[k.replaceAll("~1", "/").replaceAll("~0", "~")], doc);
	return o;
};

let nextAddr = 10;
function call(method, path, { auth = true, body, type = "application/json", accept } = {}) {
	const url = new URL(path, base);
	const headers = {};
	if (auth)
		headers.Authorization = `Bearer ${token}`;
	if (body !== undefined) {
		headers["Content-Type"] = type;
		headers["Content-Length"] = Buffer.byteLength(body);
	}
	if (accept)
		headers.Accept = accept;
	const opts = { method, host: url.hostname, port: url.port, path: url.pathname + url.search, headers };
	if (!auth)
		opts.localAddress = `127.0.0.${nextAddr++}`;
	return new Promise((resolve, reject) => {
		const r = request(opts, (res) => {
			let text = "";
			res.setEncoding("utf-8");
			res.on("data", (d) => { text += d; });
			res.on("end", () => resolve({ status: res.statusCode, headers: res.headers, text }));
		});
		r.on("error", reject);
		r.setTimeout(60000, () => r.destroy(new Error(`${method} ${path}: no answer in 60 s`)));
		if (body !== undefined)
			r.write(body);
		r.end();
	});
}

// The answer RES to METHOD PATH (documented as TEMPLATE) against the document: its status is
// one the operation lists, and a JSON body matches that response's schema.
function conforms(what, template, method, res) {
	checked++;
	const op = doc.paths[template]?.[method.toLowerCase()];
	const resp = deref(op?.responses?.[String(res.status)]);
	if (!resp) {
		problem(`${what}: answered ${res.status}, which ${method} ${template} does not list (${res.text.slice(0, 200).replace(/\s+/g, " ")})`);
		return null;
	}
	const type = (res.headers["content-type"] ?? "").split(";")[0].trim();
	const content = resp.content ?? {};
	if (!content[type]) {
		problem(`${what}: Content-Type ${type}, the document says ${Object.keys(content).join(", ") || "no body"}`);
		return null;
	}
	for (const [h, spec] of Object.entries(resp.headers ?? {}))
		if (deref(spec).required && res.headers[h.toLowerCase()] === undefined)
			problem(`${what}: ${res.status} without its ${h} header`);
	if (type !== "application/json")
		return res.text;
	let body;
	try {
		body = JSON.parse(res.text);
	} catch (e) {
		problem(`${what}: the body is not JSON: ${e.message}`);
		return null;
	}
	const r = op.responses[String(res.status)];
	const ptr = r.$ref ? r.$ref.slice(1) : `/paths/${esc(template)}/${method.toLowerCase()}/responses/${res.status}`;
	const v = ajv.getSchema(`openapi.json#${ptr}/content/${esc(type)}/schema`);
	if (!v(body))
		for (const e of v.errors)
			problem(`${what}: body${e.instancePath}: ${e.message} ${JSON.stringify(e.params)}`);
	return body;
}

const fill = (template) => template.replace(/\{[^}]+\}/g, "no-such-thing");
const ops = [];
for (const [template, item] of Object.entries(doc.paths))
	for (const method of ["get", "post", "put", "delete", "patch"])
		if (item[method])
			ops.push({ template, method: method.toUpperCase(), op: item[method] });

// 1. The document served is the file.
{
	const res = await call("GET", "/api/v1/openapi.json", { auth: false });
	let served;
	try {
		served = JSON.parse(res.text);
	} catch {
		served = null;
	}
	checked++;
	if (res.status !== 200 || JSON.stringify(served) !== JSON.stringify(doc))
		problem(`GET /api/v1/openapi.json: ${res.status}, not the document ${docFile} (rebuild after editing it)`);
}

// 2. Without a token.
for (const { template, method, op } of ops) {
	const isPublic = Array.isArray(op.security) && op.security.length === 0;
	const res = await call(method, fill(template), { auth: false, body: method === "POST" ? "{}" : undefined });
	if (isPublic && res.status !== 200)
		problem(`${method} ${template} without a token: ${res.status}, expected 200 (security: [])`);
	if (!isPublic && res.status !== 401)
		problem(`${method} ${template} without a token: ${res.status}, expected 401`);
	if (!isPublic || template !== "/api/v1/openapi.json")
		conforms(`${method} ${template} without a token`, template, method, res);
}

// 3. With the admin token: every GET that needs no parameter (but the endless stream).
for (const { template, method, op } of ops) {
	if (method !== "GET" || template.includes("{") || template.endsWith("/stream"))
		continue;
	if ((op.parameters ?? []).map(deref).some((p) => p.required))
		continue;
	const res = await call("GET", template);
	if (res.status !== 200)
		problem(`GET ${template}: ${res.status} ${res.text.slice(0, 200).replace(/\s+/g, " ")}`);
	conforms(`GET ${template}`, template, "GET", res);
}
conforms(`GET /api/v1/machines/${machine}`, "/api/v1/machines/{name}", "GET",
	await call("GET", `/api/v1/machines/${machine}`));
for (const [path, template] of [["/api/v1/machines/no-such-machine", "/api/v1/machines/{name}"],
	["/api/v1/jobs/no-such-job", "/api/v1/jobs/{id}"]]) {
	const res = await call("GET", path);
	if (res.status !== 404)
		problem(`GET ${path}: ${res.status}, expected 404`);
	conforms(`GET ${path}`, template, "GET", res);
}
for (const [path, template] of [["/api/v1/status?refresh=2", "/api/v1/status"],
	["/api/v1/events?limit=0", "/api/v1/events"], ["/api/v1/generations", "/api/v1/generations"]]) {
	const res = await call("GET", path);
	if (res.status !== 400)
		problem(`GET ${path}: ${res.status}, expected 400`);
	conforms(`GET ${path}`, template, "GET", res);
}
{
	const res = await call("GET", "/metrics");
	conforms("GET /metrics", "/metrics", "GET", res);
	if (!/^# (HELP|TYPE) /m.test(res.text))
		problem("GET /metrics: not the Prometheus text format");
}

// 4. Every POST: a field no route takes is 400 naming it; a body that is not JSON, 400; a
//    Content-Type that is not JSON, 415. Nothing runs.
for (const { template, method } of ops) {
	if (method !== "POST")
		continue;
	const path = template.replace("{name}", "no-such-secret").replace("{node}", machine);
	let res = await call("POST", path, { body: '{"no_such_field": 1}' });
	if (res.status !== 400 || !res.text.includes("no_such_field"))
		problem(`POST ${template} {"no_such_field": 1}: ${res.status}, expected 400 naming the field (${res.text.slice(0, 200).replace(/\s+/g, " ")})`);
	conforms(`POST ${template} with an unknown field`, template, "POST", res);
	res = await call("POST", path, { body: "{not json" });
	if (res.status !== 400)
		problem(`POST ${template} with a body that is not JSON: ${res.status}, expected 400`);
	conforms(`POST ${template} not JSON`, template, "POST", res);
	res = await call("POST", path, { body: "x=1", type: "application/x-www-form-urlencoded" });
	if (res.status !== 415)
		problem(`POST ${template} as a form: ${res.status}, expected 415`);
	conforms(`POST ${template} as a form`, template, "POST", res);
}

// 5. A job: exec on the unreachable machine fails fast; its 202, Location and document.
{
	const res = await call("POST", "/api/v1/exec", { body: JSON.stringify({ targets: machine, command: "true", connect_timeout: 2 }) });
	const acc = conforms("POST /api/v1/exec", "/api/v1/exec", "POST", res);
	const loc = res.headers.location;
	if (res.status !== 202 || !loc || acc?.location !== loc)
		problem(`POST /api/v1/exec: ${res.status}, Location ${loc}: expected 202 with the job's Location`);
	else {
		let job;
		for (let i = 0; i < 120; i++) {
			const r = await call("GET", loc);
			job = conforms(`GET ${loc}`, "/api/v1/jobs/{id}", "GET", r);
			if (!job || !["queued", "running"].includes(job.state))
				break;
			await new Promise((ok) => setTimeout(ok, 250));
		}
		if (!job || job.state !== "failed" || !job.report)
			problem(`exec job ${loc}: ended ${job?.state} with ${job?.report ? "a" : "no"} report, expected failed with one`);
		else {
			const v = ajv.getSchema("openapi.json#/components/schemas/ExecReport");
			if (!v(job.report))
				for (const e of v.errors)
					problem(`exec job's report${e.instancePath}: ${e.message} ${JSON.stringify(e.params)}`);
		}
		const del = await call("DELETE", loc);
		if (del.status !== 409)
			problem(`DELETE ${loc} of an ended job: ${del.status}, expected 409`);
		conforms(`DELETE ${loc}`, "/api/v1/jobs/{id}", "DELETE", del);
	}
}

// 6. Cancelling a running job: 202 with the job and its Location.
{
	const res = await call("POST", "/api/v1/exec", { body: JSON.stringify({ targets: local, command: "sleep 2" }) });
	const loc = res.headers.location;
	if (res.status !== 202 || !loc)
		problem(`POST /api/v1/exec on ${local}: ${res.status}, expected 202 with a Location`);
	else {
		let job;
		for (let i = 0; i < 40 && job?.state !== "running"; i++) {
			job = JSON.parse((await call("GET", loc)).text);
			if (job.state === "queued")
				await new Promise((ok) => setTimeout(ok, 50));
		}
		const del = await call("DELETE", loc);
		if (job?.state !== "running" || del.status !== 202 || del.headers.location !== loc)
			problem(`DELETE ${loc} of a running job: ${del.status}, Location ${del.headers.location}: expected 202 with ${loc}`);
		conforms(`DELETE ${loc}`, "/api/v1/jobs/{id}", "DELETE", del);
	}
}

for (const p of problems)
	console.log(`openapi-live: ${p}`);
if (problems.length) {
	console.log(`openapi-live: ${problems.length} problem(s) against ${base}`);
	process.exit(1);
}
console.log(`openapi-live: ${checked} answers of ${base} match ${docFile}`);
