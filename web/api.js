// The API with the signed-in token: a header on every fetch, never a URL, a cookie or a log.
const KEY = "chimera.token";

export const token = {
	get: () => sessionStorage.getItem(KEY),
	set: (t) => sessionStorage.setItem(KEY, t),
	clear: () => sessionStorage.removeItem(KEY),
};

export class ApiError extends Error {
	constructor(status, code, message) {
		super(message);
		this.status = status;
		this.code = code;
	}
}

function headers(extra) {
	const h = { Authorization: `Bearer ${token.get() ?? ""}`, ...extra };
	return h;
}

// METHOD /api/v1PATH with BODY (an object, sent as JSON): the answer's JSON, or throws ApiError.
export async function api(method, path, body) {
	const r = await fetch(`/api/v1${path}`, {
		method,
		headers: headers(body === undefined ? {} : { "Content-Type": "application/json" }),
		body: body === undefined ? undefined : JSON.stringify(body),
		cache: "no-store",
		credentials: "omit",
	});
	let doc = null;
	try {
		doc = await r.json();
	} catch {
		doc = null;
	}
	if (!r.ok)
		throw new ApiError(r.status, doc?.error?.code ?? "http", doc?.error?.message ?? `${r.status} ${r.statusText}`);
	return doc;
}

// Server-Sent Events, parsed from text pushed in pieces (the stream's chunks split anywhere).
export class SseParser {
	constructor() {
		this.buf = "";
		this.ev = {};
	}

	// The events TEXT completes, in order: {id, event, data}.
	push(text) {
		const out = [];
		this.buf += text;
		let i;
		while ((i = this.buf.indexOf("\n")) >= 0) {
			let line = this.buf.slice(0, i);
			this.buf = this.buf.slice(i + 1);
			if (line.endsWith("\r"))
				line = line.slice(0, -1);
			if (line === "") {
				if (this.ev.data !== undefined)
					out.push(this.ev);
				this.ev = {};
				continue;
			}
			if (line[0] === ":")
				continue;
			const c = line.indexOf(":");
			const field = c < 0 ? line : line.slice(0, c);
			let value = c < 0 ? "" : line.slice(c + 1);
			if (value[0] === " ")
				value = value.slice(1);
			if (field === "data")
				this.ev.data = this.ev.data === undefined ? value : `${this.ev.data}\n${value}`;
			else if (field === "id" || field === "event")
				this.ev[field] = value;
		}
		return out;
	}
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// Follow /events/stream after seq AFTER with fetch (a header carries the token, which
// EventSource cannot): each parsed event to ON_EVENTS (a batch per chunk), the connection's
// state to ON_STATE ("live", "reconnecting", "denied"). Resumes with Last-Event-ID after a
// drop; ends when SIGNAL aborts or the token is refused.
export async function follow(after, onEvents, onState, signal) {
	let last = after;
	let wait = 500;
	while (!signal.aborted) {
		try {
			const h = last === null ? {} : { "Last-Event-ID": String(last) };
			const r = await fetch("/api/v1/events/stream", { headers: headers(h), cache: "no-store", credentials: "omit", signal });
			if (r.status === 401 || r.status === 403) {
				onState("denied");
				return;
			}
			if (!r.ok || !r.body)
				throw new Error(`stream: ${r.status}`);
			onState("live");
			wait = 500;
			const rd = r.body.getReader();
			const dec = new TextDecoder();
			const p = new SseParser();
			for (;;) {
				const { value, done } = await rd.read();
				if (done)
					break;
				const evs = [];
				for (const e of p.push(dec.decode(value, { stream: true }))) {
					try {
						evs.push(JSON.parse(e.data));
						if (e.id)
							last = Number(e.id);
					} catch {
						/* a frame that is not an event: skipped */
					}
				}
				if (evs.length)
					onEvents(evs);
			}
		} catch {
			if (signal.aborted)
				return;
		}
		onState("reconnecting");
		await sleep(wait);
		wait = Math.min(wait * 2, 10000);
	}
}
