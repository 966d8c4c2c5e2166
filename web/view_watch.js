// Watch: round durations as a chart, the nodes healed and quarantined, release (operators).
import { api } from "./api.js";
import { clear, confirmDialog, h, ms, s, stateTag, when } from "./dom.js";
import { canAct, loadRounds, nameOf, store } from "./store.js";

export function chart(rounds, width, height) {
	const pad = 36;
	const max = Math.max(1, ...rounds.map((r) => r.ms));
	const svg = s("svg", { viewBox: `0 0 ${width} ${height}`, width, role: "img", id: "rounds-chart",
		"aria-label": `${rounds.length} rounds, the longest ${ms(max)}` });
	const x = (i) => pad + (rounds.length < 2 ? 0 : (i / (rounds.length - 1)) * (width - pad - 10));
	const y = (v) => height - 20 - (v / max) * (height - 40);
	svg.append(s("line", { class: "axis", x1: pad, x2: width - 10, y1: height - 20, y2: height - 20 }),
		s("line", { class: "axis", x1: pad, x2: pad, y1: 10, y2: height - 20 }),
		s("text", { x: 0, y: 16 }, ms(max)), s("text", { x: 0, y: height - 22 }, "0"));
	if (rounds.length) {
		svg.append(s("polyline", { class: "line", points: rounds.map((r, i) => `${x(i).toFixed(1)},${y(r.ms).toFixed(1)}`).join(" ") }));
		rounds.forEach((r, i) => svg.append(s("circle", { class: "dot", cx: x(i), cy: y(r.ms), r: 2.5 },
			s("title", {}, `round ${r.round}: ${ms(r.ms)}, ${r.congruent ?? 0} congruent, ${r.healed ?? 0} healed`))));
		svg.append(s("text", { x: pad, y: height - 4 }, `round ${rounds[0].round}`),
			s("text", { x: width - 80, y: height - 4 }, `round ${rounds[rounds.length - 1].round}`));
	}
	return svg;
}

export function mount(el) {
	const box = h("div", {}, h("p", { class: "note" }, "loading…"));
	const last = h("p", {});
	const heals = h("tbody");
	const quar = h("div", {});
	const msg = h("p", { class: "note", role: "status" });
	let past = [];

	async function release(m) {
		if (!(await confirmDialog("Release", `Release ${m.name} from quarantine? The watch heals it again.`, `Release ${m.name}`)))
			return;
		try {
			await api("POST", `/watch/release/${encodeURIComponent(m.name)}`, {});
			msg.textContent = `${m.name} released`;
		} catch (e) {
			msg.textContent = `refused: ${e.message}`;
		}
	}

	function draw() {
		clear(box).append(chart(store.rounds, Math.max(320, Math.min(1000, el.clientWidth || 900)), 220));
		const r = store.rounds[store.rounds.length - 1];
		clear(last).append(r ? `Round ${r.round} took ${ms(r.ms)}: ${r.congruent} congruent, ${r.drifted} drifted, ${r.healed} healed, ${r.quarantined} quarantined, ${r.unreachable} unreachable`
			: store.watch?.enabled ? "no round yet" : `the server keeps no machine${store.watch?.error ? `: ${store.watch.error}` : ""}`);
		const seen = past.length ? past[past.length - 1].seq : 0;
		heals.replaceChildren(...[...past, ...store.events.filter((e) => e.seq > seen)].filter((e) => /^watch\.node\.(healed|heal_failed|quarantined|released)$/.test(e.topic))
			.slice(-50).reverse().map((e) => h("tr", {}, h("td", {}, when(e.time)), h("td", {}, nameOf(e.node)), h("td", {}, e.topic.slice(11)))));
		const q = [...store.machines.values()].filter((m) => m.quarantined);
		clear(quar).append(q.length ? h("ul", { id: "quarantined" }, q.map((m) => h("li", {}, h("a", { href: `#/machine/${encodeURIComponent(m.name)}` }, m.name), " ",
			stateTag("quarantined"), " ", canAct() ? h("button", { type: "button", "data-release": m.name, onclick: () => release(m) }, "Release") : "")))
			: h("p", { class: "note" }, "no node is quarantined"));
	}

	el.append(h("h1", {}, "Watch"), last, box, h("h2", {}, "Quarantined"), msg, quar,
		h("h2", {}, "Heals and quarantines"), h("table", { id: "heals" },
			h("thead", {}, h("tr", {}, ["Time", "Node", "What"].map((c) => h("th", { scope: "col" }, c)))), heals));
	Promise.all([loadRounds(), api("GET", `/events?topic=watch.node.*&after=${Math.max(0, store.head - 5000)}&limit=1000`)])
		.then(([, r]) => { past = r.events; draw(); }, (e) => clear(box).append(h("p", { class: "error" }, e.message)));
	return { update: (ch) => { if (ch.rounds || ch.machines.size) draw(); } };
}
