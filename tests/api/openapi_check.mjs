// Checks docs/api/openapi.json: valid OpenAPI 3.1, its schemas valid JSON Schema 2020-12,
// and true to the server's route table.
//
// usage: node openapi_check.mjs NPM_DIR DOC ROUTES
//   NPM_DIR  where scripts/npm-test-deps.sh installed tests/package.json (BUILD_DIR/npm)
//   DOC      the OpenAPI document
//   ROUTES   `chimera serve --routes --json`'s output: {"method","path","role"} a line
//
// Prints every problem found (one a line, "openapi: ...") and exits 1 when there is any.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";

const [npmDir, docFile, routesFile] = process.argv.slice(2);
if (!npmDir || !docFile || !routesFile) {
	console.error("usage: node openapi_check.mjs NPM_DIR DOC ROUTES");
	process.exit(2);
}

// The packages live in the build tree, not beside this file: resolve them from there.
const req = createRequire(join(resolve(npmDir), "package.json"));
const load = async (name) => import(pathToFileURL(req.resolve(name)).href);
const { Validator } = await load("@seriousme/openapi-schema-validator");
const { default: Ajv2020 } = await load("ajv/dist/2020.js");

const problems = [];
const problem = (msg) => problems.push(msg);

let doc;
try {
	doc = JSON.parse(readFileSync(docFile, "utf-8"));
} catch (e) {
	console.error(`openapi: ${docFile} is not JSON: ${e.message}`);
	process.exit(1);
}

// 1. The document against the official OpenAPI 3.1 schema, and every $ref resolves.
const validator = new Validator();
const res = await validator.validate(structuredClone(doc));
if (!res.valid) {
	const errs = Array.isArray(res.errors) ? res.errors : [res.errors];
	for (const e of errs)
		problem(typeof e === "string" ? `not valid OpenAPI: ${e}`
			: `not valid OpenAPI: ${e.instancePath || "/"}: ${e.message}${e.params ? " " + JSON.stringify(e.params) : ""}`);
} else if (validator.version !== "3.1") {
	problem(`expected an OpenAPI 3.1 document, found ${validator.specificationVersion}`);
}

// 2. Every schema in it is a JSON Schema 2020-12 (the OpenAPI schema does not look inside
//    them), and compiles with its references.
const ajv = new Ajv2020({ strict: false, validateFormats: false, allErrors: true });
ajv.addSchema(doc, "openapi.json");
const schemaAt = [];
const walk = (node, ptr) => {
	if (!node || typeof node !== "object")
		return;
	for (const [k, v] of Object.entries(node)) {
		const p = `${ptr}/${k.replaceAll("~", "~0").replaceAll("/", "~1")}`;
		if (k === "schema" && v && typeof v === "object" && !ptr.startsWith("/components/schemas"))
			schemaAt.push(p);
		else
			walk(v, p);
	}
};
walk(doc, "");
for (const name of Object.keys(doc.components?.schemas ?? {}))
	schemaAt.push(`/components/schemas/${name.replaceAll("~", "~0").replaceAll("/", "~1")}`);
for (const ptr of schemaAt) {
	const node = ptr.split("/").slice(1).reduce((n, k) => n[k.replaceAll("~1", "/").replaceAll("~0", "~")], doc);
	if (!ajv.validateSchema(node)) {
		for (const e of ajv.errors)
			problem(`schema ${ptr}${e.instancePath}: ${e.message}`);
		continue;
	}
	try {
		ajv.getSchema(`openapi.json#${ptr}`);
	} catch (e) {
		problem(`schema ${ptr}: ${e.message}`);
	}
}

// 3. The document's operations against the routes the server registers.
const METHODS = ["get", "put", "post", "delete", "options", "head", "patch", "trace"];
const key = (m, p) => `${m.toUpperCase()} ${p}`;
const documented = new Map();
for (const [path, item] of Object.entries(doc.paths ?? {}))
	for (const m of METHODS)
		if (item[m])
			documented.set(key(m, path), { path, item, op: item[m] });
const routes = new Map();
for (const [i, line] of readFileSync(routesFile, "utf-8").split("\n").entries()) {
	if (!line.trim())
		continue;
	let r;
	try {
		r = JSON.parse(line);
	} catch (e) {
		problem(`${routesFile}:${i + 1}: not JSON: ${e.message}`);
		continue;
	}
	routes.set(key(r.method, r.path), r);
}
if (routes.size === 0)
	problem(`${routesFile}: no route: is it \`chimera serve --routes --json\`'s output?`);
for (const k of routes.keys())
	if (!documented.has(k))
		problem(`missing from the document: ${k} (the server registers it)`);
for (const k of documented.keys())
	if (!routes.has(k))
		problem(`not a route of the server: ${k} (the document has it)`);

// 4. Per operation: its role, its security, 401 where a token is needed, Location on 202,
//    its path parameters declared, a unique operationId.
const deref = (o) => {
	while (o && typeof o === "object" && typeof o.$ref === "string" && o.$ref.startsWith("#/"))
		o = o.$ref.slice(2).split("/").reduce((n, k) => n?.[k.replaceAll("~1", "/").replaceAll("~0", "~")], doc);
	return o;
};
const ids = new Map();
for (const [k, { path, item, op }] of documented) {
	const route = routes.get(k);
	const isPublic = Array.isArray(op.security) && op.security.length === 0;
	const role = op["x-chimera-role"];
	if (!role)
		problem(`${k}: no x-chimera-role`);
	else if (route && role !== route.role)
		problem(`${k}: x-chimera-role is ${role}, the server's route wants ${route.role}`);
	if (route && (route.role === "none") !== isPublic)
		problem(`${k}: ${isPublic ? "has security: [] but the route needs a token" : "needs no token: give it security: []"}`);
	if (role && role !== "none" && !(op.description ?? "").includes(`Least role: ${role}.`))
		problem(`${k}: its description does not say "Least role: ${role}."`);
	const responses = op.responses ?? {};
	if (!isPublic && !responses["401"])
		problem(`${k}: needs a token but has no 401 response`);
	if (!isPublic && !(op.security ?? doc.security ?? []).length)
		problem(`${k}: needs a token but no security requirement applies`);
	for (const [code, r] of Object.entries(responses)) {
		const resp = deref(r);
		if (code === "202" && !Object.keys(resp?.headers ?? {}).some((h) => h.toLowerCase() === "location"))
			problem(`${k}: 202 without a Location header`);
		if (code === "401" && !Object.keys(resp?.headers ?? {}).some((h) => h.toLowerCase() === "www-authenticate"))
			problem(`${k}: 401 without a WWW-Authenticate header`);
		if (code === "429" && !Object.keys(resp?.headers ?? {}).some((h) => h.toLowerCase() === "retry-after"))
			problem(`${k}: 429 without a Retry-After header`);
	}
	const params = [...(item.parameters ?? []), ...(op.parameters ?? [])].map(deref);
	const inPath = new Set(params.filter((p) => p?.in === "path").map((p) => p.name));
	const inTemplate = new Set([...path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]));
	for (const n of inTemplate)
		if (!inPath.has(n))
			problem(`${k}: path parameter {${n}} is not declared`);
	for (const n of inPath)
		if (!inTemplate.has(n))
			problem(`${k}: parameter '${n}' is "in: path" but not in the path`);
	if (!op.operationId)
		problem(`${k}: no operationId`);
	else if (ids.has(op.operationId))
		problem(`${k}: operationId ${op.operationId} is also ${ids.get(op.operationId)}'s`);
	else
		ids.set(op.operationId, k);
}

for (const p of problems)
	console.log(`openapi: ${p}`);
if (problems.length) {
	console.log(`openapi: ${problems.length} problem(s) in ${docFile}`);
	process.exit(1);
}
console.log(`openapi: ${docFile}: valid OpenAPI ${validator.specificationVersion}, ${schemaAt.length} schemas, ` +
	`${documented.size} operations = the server's ${routes.size} routes`);
