// Pipelines and jobs: each job with its per-node progress; each pipeline run with its stages,
// the issues found and its certificate, from the ledger.
import { api } from "./api.js";
import { clear, h, stateTag, when } from "./dom.js";
import { nameOf, store } from "./store.js";

const progress = (p) => (p ? `${p.done}/${p.nodes} done, ${p.ok} ok, ${p.failed} failed` : "");

function jobRows(body) {
	body.replaceChildren(...[...store.jobs.values()].sort((a, b) => String(b.created).localeCompare(String(a.created)))
		.map((j) => h("tr", { "data-job": j.id }, h("td", {}, h("a", { href: `#/job/${j.id}` }, j.id)), h("td", {}, j.kind ?? ""),
			h("td", {}, j.by ?? ""), h("td", {}, stateTag(j.state)), h("td", {}, when(j.created)), h("td", {}, progress(j.progress)))));
}

// A certificate in a line: signed or not, the checks that held, its note.
function certificate(c) {
	const held = Object.entries(c.checks ?? {}).filter(([, v]) => v).map(([k]) => k.replaceAll("_", " "));
	return `${c.certified ? "signed" : "not signed"}${held.length ? `: ${held.join(", ")}` : ""}${c.note ? ` (${c.note})` : ""}`;
}

// The pipeline runs in EVENTS (a run's events carry its id as their deployment): id ->
// {id, platform, states, final, reason, issues, certificate}, newest first.
export function pipelines(events) {
	const runs = new Map();
	const label = (i) => (typeof i === "string" ? i : i.rule ?? i.code ?? i.id ?? i.message ?? JSON.stringify(i));
	for (const e of events) {
		const p = e.payload ?? {};
		if (!e.deployment)
			continue;
		let r = runs.get(e.deployment);
		if (!r && e.topic !== "chimera.simulate.start" && !e.topic.startsWith("pipeline."))
			continue;
		if (!r) {
			r = { id: e.deployment, time: e.time, platform: "", states: [], final: null, reason: "", issues: [], certificate: null };
			runs.set(r.id, r);
		}
		if (e.topic === "chimera.simulate.start")
			r.platform = p.platform ?? "";
		else if (e.topic === "pipeline.state")
			r.states.push(...(r.states.length ? [] : [p.from]), p.to);
		else if (e.topic === "pipeline.complete") {
			r.final = p.state;
			r.reason = p.reason ?? "";
			if (Array.isArray(p.states))
				r.states = p.states.map((x) => (typeof x === "string" ? x : x.state ?? JSON.stringify(x)));
		} else if (e.topic === "deploy.heal.intent")
			r.issues.push(...(p.fixable ?? []).map(label));
		else if (e.topic === "chimera.simulate.complete")
			r.issues.push(...(p.report?.issues ?? p.report?.findings ?? []).map(label));
		else if (e.topic === "deploy.certified")
			r.certificate = certificate(p.certificate ?? {});
	}
	return [...runs.values()].reverse();
}

function listView(el) {
	const body = h("tbody");
	const pipes = h("div", {}, h("p", { class: "note" }, "loading…"));
	el.append(h("h1", {}, "Pipelines and jobs"), h("h2", {}, "Jobs"),
		h("div", { class: "scroll" }, h("table", { id: "jobs" }, h("thead", {}, h("tr", {},
			["Job", "Kind", "By", "State", "Created", "Progress"].map((c) => h("th", { scope: "col" }, c)))), body)),
		h("h2", {}, "Pipelines"), pipes);
	jobRows(body);
	Promise.all(["pipeline.*", "chimera.simulate.*", "deploy.heal.intent", "deploy.certified"]
		.map((t) => api("GET", `/events?topic=${t}&limit=5000`)))
		.then((rs) => {
			const runs = pipelines(rs.flatMap((r) => r.events).sort((a, b) => a.seq - b.seq));
			clear(pipes).append(runs.length ? h("div", { class: "scroll" }, h("table", { id: "pipelines" }, h("thead", {}, h("tr", {},
				["Pipeline", "Started", "Platform", "Stages", "Result", "Issues found", "Certificate"].map((c) => h("th", { scope: "col" }, c)))),
			h("tbody", {}, runs.map((r) => h("tr", {}, h("td", {}, r.id), h("td", {}, when(r.time)), h("td", {}, r.platform),
				h("td", {}, r.states.join(" → ")), h("td", {}, stateTag(r.final ?? "running"), r.reason ? ` ${r.reason}` : ""),
				h("td", {}, [...new Set(r.issues)].join(", ") || "none"), h("td", { class: "wrap" }, r.certificate ? r.certificate : ""))))))
				: h("p", { class: "note" }, "no pipeline has run (chimera pipeline)"));
		}, (e) => clear(pipes).append(h("p", { class: "error" }, e.message)));
	return { update: (ch) => { if (ch.jobs) jobRows(body); } };
}

function detailView(el, id) {
	const box = h("div", {}, h("p", { class: "note" }, "loading…"));
	let busy = false;
	async function draw() {
		if (busy)
			return;
		busy = true;
		try {
			const j = await api("GET", `/jobs/${encodeURIComponent(id)}`);
			store.jobs.set(j.id, { ...store.jobs.get(j.id), ...j });
			clear(box).append(h("p", {}, stateTag(j.state), ` · ${j.kind} by ${j.by} · created ${when(j.created)} · ${progress(j.progress)}`),
				j.error ? h("p", { class: "error" }, j.error) : "",
				h("table", { id: "job-nodes" }, h("thead", {}, h("tr", {}, h("th", {}, "Node"), h("th", {}, "Step"), h("th", {}, "Error"))),
					h("tbody", {}, (j.nodes ?? []).map((n) => h("tr", {}, h("td", {}, nameOf(n.node ?? n.name)), h("td", {}, stateTag(n.step ?? n.state)),
						h("td", {}, n.error ?? ""))))),
				h("h2", {}, "Request"), h("pre", {}, JSON.stringify(j.request ?? {}, null, 2)));
		} catch (e) {
			clear(box).append(h("p", { class: "error" }, e.message));
		} finally {
			busy = false;
		}
	}
	el.append(h("h1", {}, `Job ${id}`), box);
	draw();
	// Asked again when an event of its nodes or of the job comes: never on a timer.
	return { update: (ch) => { if (ch.jobs || ch.machines.size || ch.deployments.size) draw(); } };
}

export function mount(el, id) {
	return id ? detailView(el, id) : listView(el);
}
