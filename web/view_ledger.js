// Ledger: its events filtered by topic and node, new ones as they come; verify the chain.
import { api } from "./api.js";
import { h, when } from "./dom.js";
import { nameOf, store } from "./store.js";

const PAGE = 100;

function matches(e, topic, node) {
	if (topic && !(topic.endsWith(".*") ? e.topic.startsWith(topic.slice(0, -1)) : e.topic === topic))
		return false;
	return !node || e.node === node;
}

const row = (e) => h("tr", { "data-seq": e.seq }, h("td", {}, String(e.seq)), h("td", {}, when(e.time)), h("td", {}, e.topic),
	h("td", {}, nameOf(e.node)), h("td", { class: "hide-narrow" }, e.deployment ?? ""),
	h("td", { class: "path" }, JSON.stringify(e.payload ?? {})));

export function mount(el) {
	const topicIn = h("input", { id: "l-topic", type: "search", placeholder: "topic, or prefix.*", "aria-label": "Filter by topic", "data-filter": true });
	const nodeSel = h("select", { id: "l-node", "aria-label": "Filter by node" }, h("option", { value: "" }, "every node"),
		[...store.machines.values()].map((m) => h("option", { value: m.target }, m.name)));
	const verifyBtn = h("button", { type: "button", id: "verify" }, "Verify the chain");
	const verdict = h("p", { id: "verdict", role: "status" });
	const body = h("tbody");
	const note = h("p", { class: "note", role: "status" });
	let shown = { topic: "", node: "", last: 0 };

	async function load() {
		const topic = topicIn.value.trim();
		const node = nodeSel.value;
		const q = new URLSearchParams({ after: String(Math.max(0, store.head - PAGE * 25)), limit: "5000" });
		if (topic)
			q.set("topic", topic);
		if (node)
			q.set("node", node);
		try {
			const r = await api("GET", `/events?${q}`);
			const evs = r.events.slice(-PAGE);
			shown = { topic, node, last: r.events.length ? r.events[r.events.length - 1].seq : store.head };
			body.replaceChildren(...evs.reverse().map(row));
			note.textContent = `${evs.length} events shown (the newest first; head ${r.head})`;
		} catch (e) {
			note.textContent = `refused: ${e.message}`;
		}
	}

	verifyBtn.addEventListener("click", async () => {
		verdict.textContent = "verifying…";
		try {
			const v = await api("GET", "/ledger/verify");
			verdict.className = `result s-${v.ok ? "ok" : "failed"}`;
			verdict.textContent = v.ok ? `the chain holds: ${v.checked} events checked up to seq ${v.head}, ${v.checkpoints} checkpoints (${v.ms} ms)`
				: `broken at seq ${v.broken_seq} (${v.kind}): ${v.findings.map((f) => f.message ?? JSON.stringify(f)).join("; ")}`;
		} catch (e) {
			verdict.textContent = `refused: ${e.message}`;
		}
	});
	let timer = null;
	topicIn.addEventListener("input", () => { clearTimeout(timer); timer = setTimeout(load, 250); });
	nodeSel.addEventListener("change", load);
	el.append(h("h1", {}, "Ledger"), h("div", { class: "filters" }, topicIn, nodeSel, verifyBtn), verdict, note,
		h("div", { class: "scroll" }, h("table", { id: "events" }, h("thead", {}, h("tr", {},
			["Seq", "Time", "Topic", "Node", "Deployment", "Payload"].map((c, i) => h("th", { scope: "col", class: i === 4 ? "hide-narrow" : null }, c)))), body)));
	load();
	return {
		update(ch) {
			if (!ch.events)
				return;
			for (const e of store.events)
				if (e.seq > shown.last && matches(e, shown.topic, shown.node)) {
					body.prepend(row(e));
					shown.last = e.seq;
				}
			while (body.children.length > PAGE)
				body.lastChild.remove();
		},
		unmount: () => clearTimeout(timer),
	};
}
