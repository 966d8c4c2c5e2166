// Building the page: elements and SVG from plain calls (text is always text, never HTML).
const SVG = "http://www.w3.org/2000/svg";

function fill(e, attrs, kids) {
	for (const [k, v] of Object.entries(attrs ?? {})) {
		if (v === null || v === undefined || v === false)
			continue;
		if (k.startsWith("on") && typeof v === "function")
			e.addEventListener(k.slice(2), v);
		else if (k === "class")
			e.setAttribute("class", v);
		else
			e.setAttribute(k, v === true ? "" : String(v));
	}
	for (const c of kids.flat(Infinity)) {
		if (c === null || c === undefined || c === false)
			continue;
		e.append(c instanceof Node ? c : document.createTextNode(String(c)));
	}
	return e;
}

export const h = (tag, attrs, ...kids) => fill(document.createElement(tag), attrs, kids);
export const s = (tag, attrs, ...kids) => fill(document.createElementNS(SVG, tag), attrs, kids);

export function clear(e) {
	while (e.firstChild)
		e.firstChild.remove();
	return e;
}

// 2026-12-07T12:10:15Z or epoch ms: local "12:10:15" today, else "2026-12-07 12:10".
export function when(t) {
	if (t === null || t === undefined || t === "")
		return "";
	const d = new Date(t);
	if (Number.isNaN(d.getTime()))
		return String(t);
	const pad = (n) => String(n).padStart(2, "0");
	const hms = `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
	return d.toDateString() === new Date().toDateString() ? hms : `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${hms}`;
}

export const ms = (n) => (n === null || n === undefined ? "" : n < 1000 ? `${n} ms` : `${(n / 1000).toFixed(n < 10000 ? 2 : 1)} s`);

export const stateTag = (st) => h("span", { class: `state s-${String(st ?? "unknown").toLowerCase().replace(/[^a-z_]/g, "")}` }, st ?? "unknown");

// A table whose header buttons sort it: COLS [{key, label, get(row), cell(row)}].
export function sortHeader(cols, sort, onSort) {
	return h("tr", {}, cols.map((c) =>
		h("th", { scope: "col", "aria-sort": sort.key === c.key ? (sort.dir > 0 ? "ascending" : "descending") : null },
			h("button", { type: "button", onclick: () => onSort(c.key) }, c.label))));
}

const collator = new Intl.Collator(undefined, { numeric: true });

export function compare(a, b) {
	if (a === b)
		return 0;
	if (a === null || a === undefined || a === "")
		return 1;
	if (b === null || b === undefined || b === "")
		return -1;
	if (typeof a === "number" && typeof b === "number")
		return a - b;
	return collator.compare(String(a), String(b));
}

const dialog = () => document.getElementById("confirm");

// Ask TEXT with a button labelled OK: true when the user confirmed.
export function confirmDialog(title, text, ok) {
	const d = dialog();
	document.getElementById("confirm-title").textContent = title;
	document.getElementById("confirm-text").textContent = text;
	document.getElementById("confirm-ok").textContent = ok;
	d.returnValue = "";
	return new Promise((resolve) => {
		d.addEventListener("close", () => resolve(d.returnValue === "ok"), { once: true });
		d.showModal();
	});
}
