// What the page knows of the fleet: loaded once from the API, then kept by the event stream.
import { api } from "./api.js";

export const STEPS = ["connect", "check", "copy", "switch", "activate", "confirm", "health"];
const WATCH_STATE = {
	"watch.node.drifted": "drifted", "watch.node.healed": "congruent", "watch.node.recovered": "congruent",
	"watch.node.held": "held", "watch.node.quarantined": "quarantined", "watch.node.released": "drifted",
	"watch.node.unreachable": "unreachable", "watch.node.heal_failed": "failed",
};
const EVENTS_KEPT = 2000;
const ROUNDS_KEPT = 200;

export const store = {
	me: null,		// {name, role}
	machines: new Map(),	// name -> machine
	byNode: new Map(),	// an event's node (the target, or the name) -> machine
	events: [],		// the last EVENTS_KEPT, oldest first
	head: 0,
	rounds: [],		// watch.round payloads with their time
	deployments: new Map(),	// id -> {id, time, path, result, running, nodes: Map node -> {steps, failed, outcome}}
	jobs: new Map(),	// id -> job summary
	watch: null,
	listeners: new Set(),
};

export const canAct = () => store.me && (store.me.role === "operator" || store.me.role === "admin");

function machineOf(node) {
	return node ? store.byNode.get(node) ?? null : null;
}

function addMachine(m) {
	const row = {
		name: m.name, target: m.target, tags: m.tags ?? [], settings: m,
		state: "unknown", actual: null, reason: null, checked: null, heals: 0, quarantined: false,
		generation: null, step: null,
	};
	store.machines.set(m.name, row);
	store.byNode.set(m.target, row);
	store.byNode.set(m.name, row);
	return row;
}

// The inventory, the cached status, the watch and the deployments: before the stream starts.
export async function load() {
	const [me, inv, status, watch, deps, jobs, events] = await Promise.all([
		api("GET", "/whoami"), api("GET", "/machines"), api("GET", "/status"), api("GET", "/watch"),
		api("GET", "/deployments?limit=50"), api("GET", "/jobs"), api("GET", "/events?limit=1"),
	]);
	store.me = me;
	store.machines.clear();
	store.byNode.clear();
	for (const m of inv.machines)
		addMachine(m);
	for (const n of status.nodes) {
		const m = machineOf(n.node);
		if (m)
			Object.assign(m, { state: n.state, actual: n.actual, reason: n.reason, checked: n.seen });
	}
	applyWatch(watch);
	store.deployments.clear();
	for (const d of deps.deployments)
		store.deployments.set(d.deployment, { id: d.deployment, time: d.time, path: d.path, result: d.result,
			running: !d.result, nodes: new Map(), summary: d, loaded: false });
	store.jobs.clear();
	for (const j of jobs.jobs)
		store.jobs.set(j.id, j);
	store.head = events.head;
	return store.head;
}

function applyWatch(w) {
	store.watch = w;
	for (const n of w.nodes ?? []) {
		const m = machineOf(n.node);
		if (!m)
			continue;
		m.heals = n.heals;
		m.quarantined = !!n.quarantined;
		if (n.checked_ms)
			m.checked = n.checked_ms;
		if (n.state && n.state !== "unknown")
			m.state = n.quarantined ? "quarantined" : n.state;
	}
}

// Each machine's current generation (asks every node: after the first render).
export async function loadGenerations() {
	if (store.machines.size === 0)
		return;
	const g = await api("GET", "/generations?targets=all");
	const changed = new Set();
	for (const n of g.nodes) {
		const m = machineOf(n.node);
		if (m && n.ok && m.generation !== n.current) {
			m.generation = n.current;
			changed.add(m.name);
		}
	}
	notify({ machines: changed, deployments: new Set() });
}

function deployment(id, time) {
	let d = store.deployments.get(id);
	if (!d) {
		d = { id, time, path: null, result: null, running: true, nodes: new Map(), summary: null, loaded: true };
		store.deployments.set(id, d);
	}
	return d;
}

function nodeTrack(d, node) {
	let t = d.nodes.get(node);
	if (!t) {
		t = { steps: [], failed: null, done: false };
		d.nodes.set(node, t);
	}
	return t;
}

// One event into the deployments' timelines.
function onDeployEvent(e, ch) {
	const p = e.payload ?? {};
	const d = deployment(e.deployment, e.time);
	ch.deployments.add(d.id);
	if (e.topic === "chimera.deploy.start" || e.topic === "deploy.initiated") {
		d.path = p.path ?? p.source?.expect ?? d.path;
		d.running = true;
	} else if (e.topic === "chimera.deploy.complete") {
		d.result = p.result ?? (p.failed ? "partial" : "success");
		d.running = false;
	} else if (e.node && /^node\.(copy|activate)\.complete$/.test(e.topic)) {
		const t = nodeTrack(d, e.node);
		t.steps.push({ step: e.topic.split(".")[1], ms: p.ms ?? 0 });
	} else if (e.node && e.topic === "node.deploy.complete") {
		const t = nodeTrack(d, e.node);
		t.steps = STEPS.filter((s) => p.steps && s in p.steps).map((s) => ({ step: s, ms: p.steps[s] }));
		t.done = true;
	} else if (e.node && e.topic === "node.failed") {
		const t = nodeTrack(d, e.node);
		t.failed = { step: p.step ?? "?", error: p.error ?? p.message ?? "" };
	}
}

// One event into the machines' rows.
function onMachineEvent(e, ch) {
	const m = machineOf(e.node);
	if (!m)
		return;
	const p = e.payload ?? {};
	const t = e.topic;
	if (WATCH_STATE[t]) {
		m.state = WATCH_STATE[t];
		m.checked = e.time;
		m.reason = p.reason ?? null;
		if (t === "watch.node.healed")
			m.heals++;
		m.quarantined = t === "watch.node.quarantined" ? true : t === "watch.node.released" ? false : m.quarantined;
	} else if (t === "node.copy.complete" || t === "node.activate.complete") {
		m.step = t.split(".")[1];
		m.state = "deploying";
	} else if (t === "node.deploy.complete") {
		m.step = null;
		m.actual = p.path ?? m.actual;
		m.state = "congruent";
		m.checked = e.time;
		m.quarantined = false;
		// A switch to a new path makes a new generation; the same path again makes none.
		if (m.generation !== null && p.previous !== p.path)
			m.generation++;
	} else if (t === "node.rollback.complete") {
		if (p.ok === false)
			return;
		m.actual = p.ended_path ?? p.to_path ?? m.actual;
		m.generation = p.ended_generation ?? p.to_generation ?? m.generation;
		m.checked = e.time;
	} else if (t === "node.failed") {
		m.step = null;
		m.state = "failed";
		m.reason = p.error ?? null;
	} else if (t === "node.observed") {
		m.actual = p.actual ?? m.actual;
		m.checked = e.time;
	} else {
		return;
	}
	ch.machines.add(m.name);
}

function onJobEvent(e, ch) {
	const p = e.payload ?? {};
	const id = p.job ?? e.deployment;	// a job's events carry its id as their deployment
	if (!id)
		return;
	const j = store.jobs.get(id) ?? { id, kind: p.kind, by: p.by, state: "queued", created: e.time, progress: null };
	if (e.topic === "job.finished" || e.topic === "job.interrupted") {
		j.state = p.state ?? (e.topic === "job.interrupted" ? "interrupted" : j.state);
		if (p.result)
			j.progress = { nodes: p.result.nodes, done: p.result.nodes, ok: p.result.ok, failed: p.result.failed };
	} else if (e.topic === "job.cancel") {
		j.state = "cancelled";
	}
	store.jobs.set(id, j);
	ch.jobs = true;
}

// A batch of events from the stream, applied at once; the listeners hear what changed.
export function apply(events) {
	const ch = { machines: new Set(), deployments: new Set(), rounds: false, jobs: false, events: events.length > 0 };
	for (const e of events) {
		if (e.seq <= store.head && store.events.length && e.seq <= store.events[store.events.length - 1].seq)
			continue;
		store.head = Math.max(store.head, e.seq);
		store.events.push(e);
		// A deployment begins with deploy.initiated; its node steps follow (a rollback's do not).
		if (e.deployment && (/^(deploy\.initiated|chimera\.deploy\.)/.test(e.topic) ||
			(e.topic.startsWith("node.") && store.deployments.has(e.deployment))))
			onDeployEvent(e, ch);
		if (e.node)
			onMachineEvent(e, ch);
		if (e.topic === "watch.round") {
			store.rounds.push({ ...e.payload, time: e.time });
			if (store.rounds.length > ROUNDS_KEPT)
				store.rounds.splice(0, store.rounds.length - ROUNDS_KEPT);
			ch.rounds = true;
		}
		if (e.topic.startsWith("job."))
			onJobEvent(e, ch);
	}
	if (store.events.length > EVENTS_KEPT)
		store.events.splice(0, store.events.length - EVENTS_KEPT);
	notify(ch);
}

export function notify(ch) {
	for (const fn of store.listeners)
		fn(ch);
}

// The watch rounds so far, from the ledger (the chart's history before the stream).
export async function loadRounds() {
	const r = await api("GET", `/events?topic=watch.round&after=${Math.max(0, store.head - 5000)}&limit=1000`);
	const seen = new Set(store.rounds.map((x) => `${x.round}@${x.time}`));
	const old = r.events.map((e) => ({ ...e.payload, time: e.time })).filter((x) => !seen.has(`${x.round}@${x.time}`));
	store.rounds = [...old, ...store.rounds].slice(-ROUNDS_KEPT);
}

// A deployment's node timelines from its events (once, when it is opened).
export async function loadDeployment(id) {
	const d = deployment(id, null);
	if (d.loaded)
		return d;
	const r = await api("GET", `/events?deployment=${encodeURIComponent(id)}&limit=5000`);
	d.loaded = true;
	const ch = { machines: new Set(), deployments: new Set(), jobs: false };
	for (const e of r.events)
		onDeployEvent(e, ch);
	if (d.summary?.result) {
		d.result = d.summary.result;
		d.running = false;
	}
	return d;
}

export const nameOf = (node) => machineOf(node)?.name ?? node ?? "";
export { machineOf };
