// Fleet: counts by state, and every machine in a table that filters and sorts.
import { clear, compare, h, sortHeader, stateTag, when } from "./dom.js";
import { store } from "./store.js";

const COLS = [
	{ key: "name", label: "Name", get: (m) => m.name },
	{ key: "tags", label: "Tags", get: (m) => m.tags.join(" ") },
	{ key: "state", label: "State", get: (m) => m.state },
	{ key: "generation", label: "Generation", get: (m) => m.generation },
	{ key: "actual", label: "Store path", get: (m) => m.actual },
	{ key: "checked", label: "Last check", get: (m) => (m.checked ? new Date(m.checked).getTime() : null) },
	{ key: "heals", label: "Heals", get: (m) => m.heals },
];

// Each column's value as text (compared to skip cells that did not change) and its drawing.
const CELLS = [
	[(m) => m.name, (td, m) => td.replaceChildren(h("a", { href: `#/machine/${encodeURIComponent(m.name)}` }, m.name))],
	[(m) => m.tags.join(", "), (td, m) => { td.textContent = m.tags.join(", "); }],
	[(m) => `${m.state}/${m.step ?? ""}`, (td, m) => td.replaceChildren(stateTag(m.step ? "deploying" : m.state), m.step ? ` (${m.step})` : "")],
	[(m) => String(m.generation ?? ""), (td, m) => { td.textContent = m.generation ?? ""; }],
	[(m) => m.actual ?? "", (td, m) => { td.textContent = m.actual ?? ""; td.title = m.actual ?? ""; }],
	[(m) => when(m.checked), (td, m) => { td.textContent = when(m.checked); }],
	[(m) => String(m.heals), (td, m) => { td.textContent = String(m.heals); }],
];

export function mount(el) {
	const sort = { key: "name", dir: 1 };
	const filter = { name: "", tag: "", state: "" };
	const rows = new Map();
	let shownOrder = null;
	let filterKey = "";
	const cards = h("div", { class: "cards", "aria-label": "Machines by state" });
	const tagSel = h("select", { id: "f-tag", "aria-label": "Filter by tag" });
	const stateSel = h("select", { id: "f-state", "aria-label": "Filter by state" });
	const nameIn = h("input", { id: "f-name", type: "search", placeholder: "name (press /)", "aria-label": "Filter by name", "data-filter": true });
	const thead = h("thead");
	const tbody = h("tbody");
	const shown = h("p", { class: "note", role: "status" });

	function options(sel, values, all) {
		const keep = sel.value;
		clear(sel).append(h("option", { value: "" }, all), ...values.map((v) => h("option", { value: v }, v)));
		sel.value = values.includes(keep) ? keep : "";
	}

	function drawFilters() {
		const tags = new Set();
		const states = new Set();
		for (const m of store.machines.values()) {
			m.tags.forEach((t) => tags.add(t));
			states.add(m.state);
		}
		const key = `${[...tags].sort()}|${[...states].sort()}`;
		if (key === filterKey)
			return;
		filterKey = key;
		options(tagSel, [...tags].sort(), "every tag");
		options(stateSel, [...states].sort(), "every state");
	}

	function drawCards() {
		const counts = new Map();
		for (const m of store.machines.values()) {
			const st = m.step ? "deploying" : m.state;
			counts.set(st, (counts.get(st) ?? 0) + 1);
		}
		clear(cards).append(h("div", { class: "card" }, h("b", {}, String(store.machines.size)), "machines"),
			...[...counts].sort().map(([st, n]) => h("div", { class: "card", "data-state": st }, h("b", {}, String(n)), stateTag(st))));
	}

	// M's row, its cells redrawn only where their value changed.
	function row(m) {
		let r = rows.get(m.name);
		if (!r) {
			const tds = CELLS.map((_, i) => h("td", { class: i === 4 ? "path" : null }));
			r = { tr: h("tr", { "data-name": m.name }, tds), tds, last: [] };
			rows.set(m.name, r);
		}
		CELLS.forEach(([text, draw], i) => {
			const t = text(m);
			if (r.last[i] !== t) {
				r.last[i] = t;
				draw(r.tds[i], m);
			}
		});
		r.tr.dataset.state = m.step ? "deploying" : m.state;
		return r;
	}

	function drawTable() {
		const col = COLS.find((c) => c.key === sort.key);
		const q = filter.name.toLowerCase();
		const list = [...store.machines.values()].filter((m) =>
			(!q || m.name.toLowerCase().includes(q)) && (!filter.tag || m.tags.includes(filter.tag)) &&
			(!filter.state || m.state === filter.state || (filter.state === "deploying" && m.step)));
		list.sort((a, b) => compare(col.get(a), col.get(b)) * sort.dir || compare(a.name, b.name));
		clear(thead).append(sortHeader(COLS, sort, (k) => {
			sort.dir = sort.key === k ? -sort.dir : 1;
			sort.key = k;
			drawTable();
			thead.querySelector(`th[aria-sort] button`)?.focus();
		}));
		const order = list.map((m) => m.name).join("\n");
		if (order !== shownOrder) {
			tbody.replaceChildren(...list.map((m) => (rows.get(m.name) ?? row(m)).tr));
			shownOrder = order;
		}
		shown.textContent = `${list.length} of ${store.machines.size} machines shown`;
	}

	nameIn.addEventListener("input", () => { filter.name = nameIn.value; drawTable(); });
	tagSel.addEventListener("change", () => { filter.tag = tagSel.value; drawTable(); });
	stateSel.addEventListener("change", () => { filter.state = stateSel.value; drawTable(); });

	el.append(h("h1", {}, "Fleet"), cards,
		h("div", { class: "filters" }, nameIn, tagSel, stateSel, shown),
		h("div", { class: "scroll" }, h("table", { id: "machines" }, thead, tbody)));
	for (const m of store.machines.values())
		row(m);
	drawFilters();
	drawCards();
	drawTable();
	if (!document.body.dataset.firstRender)
		document.body.dataset.firstRender = String(Math.round(performance.now()));

	let flashed = [];
	let timer = null;
	return {
		update(ch) {
			if (!ch.machines.size)
				return;
			for (const r of flashed)
				r.tr.classList.remove("flash");
			flashed = [];
			for (const name of ch.machines) {
				const m = store.machines.get(name);
				const r = m && row(m);
				if (r) {
					r.tr.classList.add("flash");
					flashed.push(r);
				}
			}
			clearTimeout(timer);
			timer = setTimeout(() => { flashed.forEach((r) => r.tr.classList.remove("flash")); flashed = []; }, 1500);
			drawCards();
			drawFilters();
			drawTable();
		},
		unmount() {
			clearTimeout(timer);
		},
	};
}
