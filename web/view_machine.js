// Machine: its settings, facts, generations (roll back to one), sessions, services, secrets, events.
import { api } from "./api.js";
import { clear, confirmDialog, h, stateTag, when } from "./dom.js";
import { canAct, store } from "./store.js";

const kv = (pairs) => h("dl", { class: "kv" }, pairs.filter(([, v]) => v !== null && v !== undefined && v !== "")
	.map(([k, v]) => [h("dt", {}, k), h("dd", {}, typeof v === "object" ? JSON.stringify(v) : String(v))]));

// Every event of NODE (with TOPIC), paging through the ledger to its head.
async function eventsOf(query) {
	const out = [];
	let after = 0;
	for (let i = 0; i < 20; i++) {
		const r = await api("GET", `/events?${query}&after=${after}&limit=1000`);
		out.push(...r.events);
		if (r.events.length < 1000)
			break;
		after = r.next_after;
	}
	return out;
}

// Sessions running by name, from session.start and session.kill.
function sessions(evs) {
	const live = new Map();
	for (const e of evs) {
		const n = e.payload?.name ?? e.payload?.session;
		if (!n)
			continue;
		if (e.topic === "session.start" && e.payload.ok !== false)
			live.set(n, e);
		else if (e.topic === "session.kill")
			live.delete(n);
	}
	return [...live.values()];
}

// The secret names granted to M (by name or target), from the grants and revokes.
function secrets(evs, m) {
	const granted = new Set();
	for (const e of evs) {
		const p = e.payload ?? {};
		const mine = (p.keys ?? []).some((k) => k === m.name || k === m.target);
		if (e.topic === "secret.grant" && mine)
			granted.add(p.name);
		else if ((e.topic === "secret.revoke" && mine) || e.topic === "secret.rm")
			granted.delete(p.name);
	}
	return [...granted].sort();
}

const gib = (b) => `${(b / 2 ** 30).toFixed(1)} GiB`;

// A fact (docs/facts.md) as people read it; what is not known here stays JSON.
function fact(k, v) {
	if (v === null || typeof v !== "object")
		return k === "uptime" && typeof v === "number" ? `${Math.floor(v / 86400)} d ${Math.floor((v % 86400) / 3600)} h ${Math.floor((v % 3600) / 60)} min` : v;
	if (k === "os")
		return `${v.id ?? ""} ${v.version ?? ""}`;
	if (k === "memory" && "total" in v)
		return `${gib(v.available)} free of ${gib(v.total)}`;
	if (k === "disks")
		return Object.entries(v).map(([m, d]) => `${m}: ${gib(d.available)} free of ${gib(d.size)}`).join("; ");
	if (k === "load" && Array.isArray(v))
		return v.join(" ");
	if (k === "profile")
		return `generation ${v.generation}: ${v.target}`;
	if (k === "sessions" && Array.isArray(v))
		return v.length ? v.map((x) => x.name ?? x).join(", ") : "none";
	return JSON.stringify(v);
}

// A node.services event in a line: a listing's counts, or the unit an action left.
function service(p) {
	if (p.error)
		return `failed at ${p.step}: ${p.error}`;
	if (p.units !== undefined)
		return `${p.units} units, failed: ${(p.failed_units ?? []).join(", ") || "none"}`;
	const u = p.state ?? {};
	return `${u.id ?? "?"} ${u.active_state ?? ""} (${u.sub_state ?? ""}), ${u.unit_file_state ?? ""}`;
}

const eventRow = (e) => h("tr", {}, h("td", {}, String(e.seq)), h("td", {}, when(e.time)), h("td", {}, e.topic),
	h("td", { class: "path" }, JSON.stringify(e.payload ?? {})));

export function mount(el, name) {
	const m = store.machines.get(name);
	if (!m) {
		el.append(h("h1", {}, name), h("p", { class: "error" }, `no machine '${name}' in chimera.toml`));
		return null;
	}
	const head = h("p", {});
	const gens = h("div", {}, h("p", { class: "note" }, "asking the node…"));
	const facts = h("div", { id: "facts" });
	const sess = h("div", {});
	const svc = h("div", {});
	const sec = h("div", {});
	const evBody = h("tbody");
	const msg = h("p", { class: "note", role: "status", id: "act-result" });
	const drawHead = () => clear(head).append("State: ", stateTag(m.step ? "deploying" : m.state),
		m.reason ? ` (${m.reason})` : "", " · ", m.actual ?? "no store path seen", m.checked ? ` · checked ${when(m.checked)}` : "");

	async function rollback(g) {
		const ok = await confirmDialog("Roll back", `Roll ${m.name} back to generation ${g.generation} (${g.path})?`,
			`Roll back to generation ${g.generation}`);
		if (!ok)
			return;
		try {
			const j = await api("POST", "/rollback", { targets: m.name, generation: g.generation });
			msg.textContent = `rollback to generation ${g.generation} started: job ${j.job}`;
			msg.dataset.job = j.job;
		} catch (e) {
			msg.textContent = `refused: ${e.message}`;
		}
	}

	async function drawGenerations() {
		try {
			const r = await api("GET", `/generations?targets=${encodeURIComponent(m.name)}`);
			const n = r.nodes[0];
			if (!n?.ok) {
				clear(gens).append(h("p", { class: "error" }, n?.error ?? "no answer"));
				return;
			}
			m.generation = n.current;
			clear(gens).append(h("table", { id: "generations" }, h("thead", {}, h("tr", {},
				h("th", {}, "Generation"), h("th", {}, "Date"), h("th", {}, "Store path"), h("th", {}, ""))),
			h("tbody", {}, [...n.generations].reverse().map((g) => h("tr", { "data-generation": g.generation },
				h("td", {}, String(g.generation), g.current ? " (current)" : ""), h("td", {}, when(g.date)),
				h("td", { class: "path" }, g.path),
				h("td", {}, !g.current && canAct()
					? h("button", { type: "button", class: "danger", "data-rollback": g.generation, onclick: () => rollback(g) },
						"Roll back to this") : ""))))));
		} catch (e) {
			clear(gens).append(h("p", { class: "error" }, e.message));
		}
	}

	async function drawLedger() {
		const [mine, secs, detail] = await Promise.all([
			eventsOf(`node=${encodeURIComponent(m.target)}`), eventsOf("topic=secret.*"),
			api("GET", `/machines/${encodeURIComponent(m.name)}`)]);
		clear(facts).append(detail.facts ? kv(Object.entries(detail.facts).filter(([k]) => k !== "format" && k !== "machine")
			.map(([k, v]) => [k, fact(k, v)])) : h("p", { class: "note" }, "none gathered (chimera facts)"),
			detail.facts_gathered ? h("p", { class: "note" }, `gathered ${when(detail.facts_gathered)}`) : "");
		const ss = sessions(mine.filter((e) => e.topic.startsWith("session.")));
		clear(sess).append(ss.length ? h("ul", {}, ss.map((e) => h("li", {}, `${e.payload.name ?? e.payload.session}: ${e.payload.command ?? ""} (since ${when(e.time)})`)))
			: h("p", { class: "note" }, "none started by chimera"));
		const sv = mine.filter((e) => e.topic === "node.services");
		clear(svc).append(sv.length ? h("ul", {}, sv.slice(-10).reverse().map((e) => h("li", {}, `${when(e.time)}: ${service(e.payload)}`)))
			: h("p", { class: "note" }, "no service action recorded"));
		const sn = secrets(secs, m);
		clear(sec).append(sn.length ? h("ul", { id: "secrets" }, sn.map((n) => h("li", {}, n))) : h("p", { class: "note" }, "none granted"));
		evBody.replaceChildren(...mine.slice(-30).reverse().map(eventRow));
	}

	const s = m.settings;
	el.append(h("h1", {}, m.name), head,
		h("div", { class: "grid2" },
			h("section", {}, h("h2", {}, "Settings"), kv([["target", s.target], ["tags", s.tags.join(", ")], ["profile", s.profile],
				["activation", s.activation], ["goal", s.goal], ["config", s.config], ["flake", s.flake], ["attr", s.attr],
				["sudo", s.sudo], ["checks", s.checks.join(", ")], ["chimera.toml line", s.line]])),
			h("section", {}, h("h2", {}, "Facts"), facts)),
		h("h2", {}, "Generations"), msg, h("div", { class: "scroll" }, gens),
		h("div", { class: "grid2" },
			h("section", {}, h("h2", {}, "Sessions"), sess),
			h("section", {}, h("h2", {}, "Services"), svc)),
		h("h2", {}, "Granted secrets"), sec,
		h("h2", {}, "Last events"), h("div", { class: "scroll" }, h("table", { id: "machine-events" }, evBody)));
	drawHead();
	drawGenerations();
	drawLedger().catch((e) => clear(facts).append(h("p", { class: "error" }, e.message)));

	return {
		update(ch) {
			if (ch.machines.has(m.name))
				drawHead();
			const fresh = store.events.filter((e) => e.node === m.target && e.seq > Number(evBody.firstChild?.firstChild?.textContent ?? 0));
			for (const e of fresh) {
				evBody.prepend(eventRow(e));
				if (e.topic === "node.rollback.complete" || e.topic === "node.deploy.complete")
					drawGenerations();
			}
		},
	};
}
