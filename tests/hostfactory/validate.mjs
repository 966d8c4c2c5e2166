// Checks a HostFactory provider's output against tests/hostfactory/hf_schema.json (JSON Schema
// 2020-12, validated with ajv from the build tree).
//
// usage: node validate.mjs NPM_DIR SCHEMA DEF FILE
//   NPM_DIR  where scripts/npm-test-deps.sh installed tests/package.json (BUILD_DIR/npm)
//   DEF      the $defs entry the document must match: getAvailableTemplates, requestMachines,
//            getRequestStatus, requestReturnMachines, getReturnRequests or failure
//   FILE     the document (the operation's stdout)
// Exits 0 when it matches; else prints each error ("hf-schema: DEF: PATH: MESSAGE") and exits 1.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";

const [npmDir, schemaFile, def, file] = process.argv.slice(2);
if (!npmDir || !schemaFile || !def || !file) {
	console.error("usage: node validate.mjs NPM_DIR SCHEMA DEF FILE");
	process.exit(2);
}
const req = createRequire(join(resolve(npmDir), "package.json"));
const { default: Ajv2020 } = await import(pathToFileURL(req.resolve("ajv/dist/2020.js")).href);

const schema = JSON.parse(readFileSync(schemaFile, "utf8"));
if (!schema.$defs || !schema.$defs[def]) {
	console.error(`hf-schema: no $defs entry '${def}' in ${schemaFile}`);
	process.exit(2);
}
const ajv = new Ajv2020({ allErrors: true, strict: true });
let validate;
try {
	ajv.addSchema(schema);
	// Every entry compiled, so a schema mistake shows whichever entry is asked for.
	for (const name of Object.keys(schema.$defs))
		ajv.getSchema(`${schema.$id}#/$defs/${name}`);
	validate = ajv.getSchema(`${schema.$id}#/$defs/${def}`);
} catch (e) {
	console.log(`hf-schema: ${schemaFile}: ${e.message}`);
	process.exit(2);
}

let doc;
try {
	doc = JSON.parse(readFileSync(file, "utf8"));
} catch (e) {
	console.log(`hf-schema: ${def}: not JSON: ${e.message}`);
	process.exit(1);
}
if (validate(doc))
	process.exit(0);
for (const e of validate.errors)
	console.log(`hf-schema: ${def}: ${e.instancePath || "/"}: ${e.message}`);
process.exit(1);
