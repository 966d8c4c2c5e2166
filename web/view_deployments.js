// Deployments: the list, and one deployment as a timeline of each node's steps (SVG bars).
import { clear, h, ms, s, stateTag, when } from "./dom.js";
import { STEPS, loadDeployment, nameOf, store } from "./store.js";

const ROW = 22;
const LABEL = 150;

// Each node's steps end to end, on one time scale for the whole deployment.
export function timeline(d, width) {
	const nodes = [...d.nodes.entries()].sort((a, b) => nameOf(a[0]).localeCompare(nameOf(b[0]), undefined, { numeric: true }));
	const total = Math.max(1, ...nodes.map(([, t]) => t.steps.reduce((n, x) => n + x.ms, 0)));
	const span = width - LABEL - 60;
	const svg = s("svg", { viewBox: `0 0 ${width} ${nodes.length * ROW + 24}`, width, role: "img", id: "timeline",
		"aria-label": `steps of ${nodes.length} nodes, longest ${ms(total)}` });
	nodes.forEach(([node, t], i) => {
		const y = i * ROW;
		let x = LABEL;
		svg.append(s("text", { x: 0, y: y + 15 }, nameOf(node)));
		for (const st of t.steps) {
			const w = Math.max(1, (st.ms / total) * span);
			svg.append(s("rect", { x, y: y + 3, width: w, height: ROW - 6, class: `b${STEPS.indexOf(st.step) % 7}`, "data-step": st.step },
				s("title", {}, `${nameOf(node)} ${st.step}: ${ms(st.ms)}`)));
			x += w;
		}
		if (t.failed)
			svg.append(s("rect", { x, y: y + 3, width: 8, height: ROW - 6, class: "bfail" }, s("title", {}, `failed at ${t.failed.step}: ${t.failed.error}`)));
		svg.append(s("text", { x: x + 12, y: y + 15 }, t.failed ? `failed at ${t.failed.step}` : t.done ? ms(t.steps.reduce((n, x2) => n + x2.ms, 0)) : "…"));
	});
	svg.append(s("line", { class: "axis", x1: LABEL, x2: LABEL + span, y1: nodes.length * ROW + 4, y2: nodes.length * ROW + 4 }),
		s("text", { x: LABEL, y: nodes.length * ROW + 18 }, "0"),
		s("text", { x: LABEL + span - 40, y: nodes.length * ROW + 18 }, ms(total)));
	return svg;
}

const legend = () => h("div", { class: "legend", "aria-hidden": "true" }, STEPS.map((st, i) => h("span", { class: `b${i}` }, st)));

function listView(el) {
	const body = h("tbody");
	const draw = () => body.replaceChildren(...[...store.deployments.values()].sort((a, b) => String(b.time).localeCompare(String(a.time)))
		.map((d) => h("tr", { "data-deployment": d.id },
			h("td", {}, h("a", { href: `#/deployment/${d.id}` }, d.id)), h("td", {}, when(d.time)),
			h("td", {}, stateTag(d.running ? "running" : d.result)),
			h("td", {}, d.summary ? `${d.summary.ok}/${d.summary.nodes}` : String(d.nodes.size)),
			h("td", { class: "path" }, d.path ?? ""), h("td", { class: "hide-narrow" }, d.summary ? ms(d.summary.ms) : ""))));
	el.append(h("h1", {}, "Deployments"), h("div", { class: "scroll" }, h("table", { id: "deployments" },
		h("thead", {}, h("tr", {}, ["Deployment", "Started", "Result", "Nodes ok", "Store path", "Took"].map((c) => h("th", { scope: "col" }, c)))), body)));
	draw();
	return { update: (ch) => { if (ch.deployments.size) draw(); } };
}

function detailView(el, id) {
	const head = h("p", {});
	const box = h("div", { class: "scroll" }, h("p", { class: "note" }, "loading…"));
	let d = null;
	const width = () => Math.max(320, Math.min(1200, el.clientWidth || 1000));
	const draw = () => {
		clear(head).append(stateTag(d.running ? "running" : d.result), ` · started ${when(d.time)} · `, d.path ?? "");
		clear(box).append(d.nodes.size ? timeline(d, width()) : h("p", { class: "note" }, "no node step recorded yet"));
	};
	el.append(h("h1", {}, `Deployment ${id}`), head, legend(), box);
	loadDeployment(id).then((x) => { d = x; draw(); }).catch((e) => clear(box).append(h("p", { class: "error" }, e.message)));
	return { update: (ch) => { if (d && ch.deployments.has(id)) draw(); } };
}

export function mount(el, id) {
	return id ? detailView(el, id) : listView(el);
}
