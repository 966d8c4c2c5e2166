// The dashboard: sign-in, the views by URL fragment, the event stream that keeps them live.
import { ApiError, follow, token } from "./api.js";
import { clear } from "./dom.js";
import { apply, load, loadGenerations, store } from "./store.js";
import * as fleet from "./view_fleet.js";
import * as machine from "./view_machine.js";
import * as deployments from "./view_deployments.js";
import * as watch from "./view_watch.js";
import * as ledger from "./view_ledger.js";
import * as jobs from "./view_jobs.js";

const ROUTES = [
	[/^#\/fleet$/, fleet, "#/fleet"],
	[/^#\/machine\/(.+)$/, machine, "#/fleet"],
	[/^#\/deployments$/, deployments, "#/deployments"],
	[/^#\/deployment\/(.+)$/, deployments, "#/deployments"],
	[/^#\/watch$/, watch, "#/watch"],
	[/^#\/ledger$/, ledger, "#/ledger"],
	[/^#\/jobs$/, jobs, "#/jobs"],
	[/^#\/job\/(.+)$/, jobs, "#/jobs"],
];

const $ = (id) => document.getElementById(id);
let current = null;
let stream = null;
let pending = null;

// Changes from the stream, merged until the next frame: a burst is drawn once.
function merge(ch) {
	if (!pending) {
		pending = { machines: new Set(), deployments: new Set(), rounds: false, jobs: false, events: false };
		schedule();
	}
	for (const k of ["machines", "deployments"])
		for (const v of ch[k] ?? [])
			pending[k].add(v);
	for (const k of ["rounds", "jobs", "events"])
		pending[k] ||= !!ch[k];
}

// A hidden tab gets no animation frame: it is drawn on a timer (which the browser slows).
function schedule() {
	if (document.hidden)
		setTimeout(flush, 100);
	else
		requestAnimationFrame(flush);
}

function flush() {
	if (!pending)
		return;
	const ch = pending;
	pending = null;
	if (current?.update)
		current.update(ch);
	document.body.dataset.head = String(store.head);
}

function route() {
	const hash = location.hash || "#/fleet";
	for (const [re, view, nav] of ROUTES) {
		const m = hash.match(re);
		if (!m)
			continue;
		current?.unmount?.();
		const el = clear($("view"));
		for (const a of $("nav").querySelectorAll("a"))
			if (a.getAttribute("href") === nav)
				a.setAttribute("aria-current", "page");
			else
				a.removeAttribute("aria-current");
		current = view.mount(el, m[1] ? decodeURIComponent(m[1]) : null, hash) ?? null;
		document.body.dataset.view = nav.slice(2);
		// A new view: the keyboard starts at its content, as after a page load.
		$("main").focus({ preventScroll: true });
		return;
	}
	location.hash = "#/fleet";
}

function setLive(state) {
	const l = $("live");
	l.textContent = state === "live" ? "live" : state === "denied" ? "signed out" : "reconnecting";
	l.className = `live ${state === "live" ? "on" : "off"}`;
	document.body.dataset.stream = state;
	if (state === "denied")
		signOut("the token was refused: sign in again");
}

function showSignIn(msg) {
	$("nav").hidden = true;
	$("signout").hidden = true;
	$("who").textContent = "";
	$("live").textContent = "";
	clear($("view"));
	$("signin").hidden = false;
	$("signin-error").textContent = msg ?? "";
	$("token").focus();
	document.body.dataset.view = "signin";
}

function signOut(msg) {
	stream?.abort();
	stream = null;
	current?.unmount?.();
	current = null;
	token.clear();
	showSignIn(msg);
}

async function start() {
	let head;
	try {
		head = await load();
	} catch (e) {
		token.clear();
		showSignIn(e instanceof ApiError && e.status === 401 ? "unknown, revoked or expired token" : `cannot load: ${e.message}`);
		return;
	}
	$("signin").hidden = true;
	$("nav").hidden = false;
	$("signout").hidden = false;
	$("who").textContent = `${store.me.name} (${store.me.role})`;
	document.body.dataset.role = store.me.role;
	store.listeners.add(merge);
	stream = new AbortController();
	follow(head, apply, setLive, stream.signal);
	route();
	loadGenerations().catch(() => { /* the column stays empty */ });
}

$("signin").addEventListener("submit", (ev) => {
	ev.preventDefault();
	const t = $("token").value.trim();
	$("token").value = "";
	if (!t)
		return;
	token.set(t);
	start();
});
$("signout").addEventListener("click", () => signOut());
window.addEventListener("hashchange", () => { if (stream) route(); });
// A frame asked for before the tab was hidden never comes: ask again as it changes.
document.addEventListener("visibilitychange", () => { if (pending) schedule(); });
document.addEventListener("keydown", (ev) => {
	if (ev.key === "/" && !/^(INPUT|SELECT|TEXTAREA)$/.test(document.activeElement?.tagName ?? "")) {
		const f = document.querySelector("[data-filter]");
		if (f) {
			ev.preventDefault();
			f.focus();
		}
	}
});
// For bench/web: the store and the stream's entry point (no token in either).
window.chimera = { store, apply };

if (token.get())
	start();
else
	showSignIn();
