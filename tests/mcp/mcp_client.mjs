// chimera's MCP server driven by the official TypeScript SDK client (@modelcontextprotocol/sdk),
// over stdio (`chimera mcp`) or Streamable HTTP (`chimera serve` at /mcp). Prints one
// "ok - ..." or "not ok - ..." line per check and "JOB <id>" for each job a tool ran; exits 1
// when a check failed.
//
// usage: node mcp_client.mjs NPM_DIR stdio CHIMERA STATE CONFIG SCENARIO
//        node mcp_client.mjs NPM_DIR http URL TOKEN SCENARIO
// SCENARIO: a JSON object: { "targets": "n0,n1", "all": "n0,n1,n2,n3", "nodes": 4, "p": STORE_PATH,
//           "p2": STORE_PATH, "viewer": false }; with "viewer": true only the viewer's checks run.
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
// A value with its object keys sorted, as text: two JSON documents compared whatever their key order.
const canon = (v) => JSON.stringify(v, (k, x) => (x && typeof x === "object" && !Array.isArray(x)
	? Object.fromEntries(Object.keys(x).sort().map((key) => [key, x[key]])) : x));

const [npmDir, mode, ...rest] = process.argv.slice(2);
const sdk = async (p) =>
	import(pathToFileURL(join(resolve(npmDir), "node_modules/@modelcontextprotocol/sdk/dist/esm", p)).href);
const { Client } = await sdk("client/index.js");
const { McpError, ErrorCode } = await sdk("types.js");

let fails = 0;
const check = (what, cond, detail) => {
	if (cond) console.log(`ok - ${mode}: ${what}`);
	else {
		fails++;
		console.log(`not ok - ${mode}: ${what}${detail !== undefined ? ` (${JSON.stringify(detail).slice(0, 600)})` : ""}`);
	}
};
const textOf = (r) => (r?.content ?? []).map((c) => c.text ?? "").join("\n");
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

let transport, scenario;
if (mode === "stdio") {
	const { StdioClientTransport } = await sdk("client/stdio.js");
	const [chimera, state, config, sc] = rest;
	scenario = JSON.parse(sc);
	transport = new StdioClientTransport({
		command: chimera,
		args: ["--state-dir", state, "--config", config, "mcp"],
		stderr: "inherit",
	});
} else if (mode === "http") {
	const { StreamableHTTPClientTransport } = await sdk("client/streamableHttp.js");
	const [url, token, sc] = rest;
	scenario = JSON.parse(sc);
	transport = new StreamableHTTPClientTransport(new URL(`${url}/mcp`), {
		requestInit: { headers: { Authorization: `Bearer ${token}` } },
	});
} else {
	console.error("usage: node mcp_client.mjs NPM_DIR stdio|http ...");
	process.exit(2);
}

const client = new Client({ name: "chimera-e2e", version: "1.0.0" });
await client.connect(transport);
check("initialize: the server is chimera", client.getServerVersion()?.name === "chimera", client.getServerVersion());
check("it offers tools and resources", !!client.getServerCapabilities()?.tools && !!client.getServerCapabilities()?.resources);

const { tools } = await client.listTools();
const byName = Object.fromEntries(tools.map((t) => [t.name, t]));

async function viewerChecks() {
	const destructive = tools.filter((t) => t.annotations?.destructiveHint !== false || !t.annotations?.readOnlyHint);
	check("a viewer is listed no destructive tool", destructive.length === 0, destructive.map((t) => t.name));
	check("a viewer is listed the read tools", !!byName.fleet_status && !!byName.events && !byName.deploy, Object.keys(byName));
	const r = await client.callTool({ name: "deploy", arguments: { targets: scenario.targets, source: scenario.p } });
	check("a viewer calling deploy by name is refused, naming the role", r.isError === true && /operator/.test(textOf(r)), r);
	const s = await client.callTool({ name: "fleet_status", arguments: {} });
	check("a viewer reads fleet_status", !s.isError && Array.isArray(s.structuredContent?.nodes), s);
}

// Call TOOL with ARGS, following progress; the result, with the progress notifications seen.
async function run(tool, args, opts = {}) {
	const progress = [];
	const r = await client.callTool({ name: tool, arguments: args }, undefined, {
		timeout: 120000,
		resetTimeoutOnProgress: true,
		onprogress: (p) => progress.push(p),
		...opts,
	});
	if (r.structuredContent?.job) console.log(`JOB ${r.structuredContent.job}`);
	return { r, progress };
}

async function operatorChecks() {
	const want = ["fleet_status", "machine", "generations", "deployments", "deployment", "events", "ledger_verify",
		"watch_state", "simulate", "deploy", "rollback", "exec", "release", "heal", "certify", "pipeline"];
	check("tools/list names every tool", want.every((n) => byName[n]), Object.keys(byName));
	check("deploy is destructive, not read-only", byName.deploy?.annotations?.destructiveHint === true &&
		byName.deploy?.annotations?.readOnlyHint === false, byName.deploy?.annotations);
	check("fleet_status is read-only", byName.fleet_status?.annotations?.readOnlyHint === true);
	check("every tool has an input and an output schema", tools.every((t) => t.inputSchema?.type === "object" &&
		t.outputSchema?.type === "object"));

	const st = await client.callTool({ name: "fleet_status", arguments: {} });
	check("fleet_status: structuredContent with every node", st.structuredContent?.nodes?.length === scenario.nodes, st);
	check("fleet_status: the text is the same JSON", canon(JSON.parse(textOf(st))) === canon(st.structuredContent));

	const res = await client.listResources();
	check("resources/list: machines and the ledger head", res.resources.some((x) => x.uri === "chimera://machines") &&
		res.resources.some((x) => x.uri === "chimera://ledger/head"));
	const tmpl = await client.listResourceTemplates();
	check("resources/templates/list: a machine, a deployment", tmpl.resourceTemplates.length === 2);
	const m = await client.readResource({ uri: "chimera://machines/n0" });
	check("resources/read chimera://machines/n0", JSON.parse(m.contents[0].text).name === "n0", m);
	try {
		await client.readResource({ uri: "chimera://machines/nope" });
		check("an unknown machine's resource is an error", false);
	} catch (e) {
		check("an unknown machine's resource is an error naming it", e instanceof McpError && /nope/.test(e.message), e.message);
	}

	// Bad arguments: the protocol's -32602, or the tool's isError naming the field.
	try {
		await client.callTool({ name: "deploy", arguments: { targets: 5 } });
		check("deploy with targets: 5 is -32602", false);
	} catch (e) {
		check("deploy with targets: 5 is -32602 naming 'targets'", e instanceof McpError &&
			e.code === ErrorCode.InvalidParams && /targets/.test(e.message), e.message);
	}
	const bad = await client.callTool({ name: "deploy", arguments: { targets: scenario.targets, goal: "sideways" } });
	check("a bad goal: isError naming 'goal'", bad.isError === true && /'goal'/.test(textOf(bad)), bad);
	try {
		await client.callTool({ name: "no_such_tool", arguments: {} });
		check("an unknown tool is -32602", false);
	} catch (e) {
		check("an unknown tool is -32602", e instanceof McpError && e.code === ErrorCode.InvalidParams, e.message);
	}

	// A deploy with progress, then another, then a rollback to the first.
	const d1 = await run("deploy", { targets: scenario.targets, source: scenario.p, parallel: 1 });
	check("deploy: succeeded", d1.r.structuredContent?.state === "succeeded" && !d1.r.isError, d1.r);
	check("deploy: progress notifications came", d1.progress.length >= 1, d1.progress);
	check("deploy: progress only grows", d1.progress.every((p, i) => i === 0 || p.progress > d1.progress[i - 1].progress));
	check("deploy: the report names the deployment", typeof d1.r.structuredContent?.report?.deployment === "string");
	const d2 = await run("deploy", { targets: scenario.targets, source: scenario.p2 });
	check("a second deploy: succeeded", d2.r.structuredContent?.state === "succeeded", d2.r);
	const dep = await client.callTool({ name: "deployment", arguments: { id: d2.r.structuredContent?.report?.deployment ?? "x" } });
	check("deployment: the second one", !dep.isError, dep);
	const rb = await run("rollback", { targets: scenario.targets });
	check("rollback: succeeded", rb.r.structuredContent?.state === "succeeded" && !rb.r.isError, rb.r);

	// A cancelled deploy: one node at a time, each activation a second long; cancelled at the first progress.
	const ac = new AbortController();
	let aborted = false;
	try {
		await run("deploy", { targets: scenario.all, source: scenario.p2, parallel: 1, activate: "sleep 1" }, {
			signal: ac.signal,
			onprogress: () => {
				if (!aborted) {
					aborted = true;
					ac.abort("the test cancels it");
				}
			},
		});
		check("the cancelled deploy was cancelled", false);
	} catch (e) {
		check("the cancelled deploy: the client gave up at its first progress", aborted, String(e));
	}
	let fin;
	for (let i = 0; i < 120 && !fin; i++) {
		const ev = await client.callTool({ name: "events", arguments: { topic: "job.finished", limit: 1000 } });
		fin = ev.structuredContent?.events?.map((x) => ({ ...x, p: typeof x.payload === "string" ? JSON.parse(x.payload) : x.payload }))
			.filter((x) => x.p?.kind === "deploy" && x.p?.state === "cancelled").pop();
		if (!fin) await sleep(500);
	}
	check("the cancelled deploy's job ended cancelled", !!fin, fin);
	if (fin) {
		console.log(`JOB ${fin.deployment}`);
		const r = fin.p.result;
		const op = fin.p.operations?.[0] ?? "none";
		const nf = await client.callTool({ name: "events", arguments: { deployment: op, topic: "node.failed" } });
		const notStarted = (nf.structuredContent?.events ?? []).filter((x) => /not started/.test(JSON.stringify(x.payload)));
		check("the node in flight finished its deploy", r.ok >= 1 && r.nodes === scenario.nodes, r);
		check("the rest were not started (node.failed: not started)", notStarted.length === r.nodes - r.ok && notStarted.length >= 1,
			{ result: r, notStarted: notStarted.length });
	}
	// The other tools, each once.
	const ex = await run("exec", { targets: "n0", command: "echo hello-from-mcp" });
	check("exec: succeeded with the node's output", ex.r.structuredContent?.state === "succeeded" &&
		JSON.stringify(ex.r.structuredContent?.report).includes("hello-from-mcp"), ex.r);
	const gen = await client.callTool({ name: "generations", arguments: { targets: ["n0"] } });
	check("generations of n0 (targets as a list)", !gen.isError && gen.structuredContent?.nodes?.[0]?.generations?.length >= 1, gen);
	const deps = await client.callTool({ name: "deployments", arguments: { limit: 50 } });
	check("deployments: the deploys so far", !deps.isError && deps.structuredContent?.deployments?.length >= 3, deps);
	const mach = await client.callTool({ name: "machine", arguments: { name: "n1" } });
	check("machine n1", !mach.isError && mach.structuredContent?.name === "n1", mach);
	const nomach = await client.callTool({ name: "machine", arguments: { name: "nope" } });
	check("machine nope: isError naming it", nomach.isError === true && /nope/.test(textOf(nomach)), nomach);
	const ws = await client.callTool({ name: "watch_state", arguments: {} });
	check("watch_state answers", !ws.isError, ws);
	const rel = await client.callTool({ name: "release", arguments: { node: "n0" } });
	check("release n0 (recorded)", !rel.isError, rel);
	const sim = await run("simulate", { platform: "netlify", dir: "/nonexistent-mcp-dir" });
	check("simulate of a missing dir: isError naming 'dir'", sim.r.isError === true && /dir/.test(textOf(sim.r)), sim.r);
	const head = await client.readResource({ uri: "chimera://ledger/head" });
	check("chimera://ledger/head: the last event", JSON.parse(head.contents[0].text).events?.length === 1, head);
	const v = await client.callTool({ name: "ledger_verify", arguments: {} });
	check("ledger_verify: ok", v.structuredContent?.ok === true, v);
	const stillThere = await client.ping();
	check("the session still answers ping", !!stillThere);
}

try {
	if (scenario.viewer) await viewerChecks();
	else await operatorChecks();
} catch (e) {
	check("no exception", false, String(e?.stack ?? e));
}
await client.close();
process.exit(fails ? 1 : 0);
