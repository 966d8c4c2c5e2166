// bench/web/bench_web.sh's browser half: first render of N machines, then bursts of N events.
// usage: node bench_web.mjs NPM_DIR URL TOKEN N RUNS BURSTS
import { launch, page } from "../../tests/web/browser.mjs";

const [npm, url, tok, n, runs, bursts] = process.argv.slice(2);
const N = Number(n);
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)];
const problems = [];
const { browser, close } = await launch(npm);
const renders = [];
let burst = [];
try {
	for (let r = 0; r < Number(runs); r++) {
		const p = await page(browser, problems);
		await p.evaluateOnNewDocument((t) => sessionStorage.setItem("chimera.token", t), tok);
		await p.goto(url, { waitUntil: "domcontentloaded" });
		await p.waitForFunction((k) => document.body.dataset.firstRender && document.querySelectorAll("#machines tbody tr").length === k,
			{ timeout: 60000 }, N);
		renders.push(await p.evaluate(() => Number(document.body.dataset.firstRender)));
		if (r < Number(runs) - 1)
			await p.close();
		else
			burst = await bursts_of(p);
	}
} finally {
	await close();
}

// Bursts of N events, one per machine, as the stream would bring them: SSE text through the
// page's parser, JSON, the store, and the frame that draws them.
async function bursts_of(p) {
	return p.evaluate(async (count, times) => {
		const { SseParser } = await import("/assets/api.js");
		const { store, apply } = window.chimera;
		const targets = [...store.machines.values()].map((m) => m.target);
		const out = [];
		for (let b = 0; b < times; b++) {
			let seq = store.head;
			const state = b % 2 ? "watch.node.recovered" : "watch.node.drifted";
			const text = targets.slice(0, count).map((node) => {
				seq++;
				const ev = { seq, time: new Date().toISOString(), topic: state, deployment: null, node,
					payload: { reason: "bench", actual: "/nix/store/00000000000000000000000000000000-bench" }, prev_hash: "", hash: "" };
				return `id: ${seq}\nevent: ${state}\ndata: ${JSON.stringify(ev)}\n\n`;
			}).join("");
			await new Promise((r) => requestAnimationFrame(() => setTimeout(r, 50)));
			const t0 = performance.now();
			apply(new SseParser().push(text).map((e) => JSON.parse(e.data)));
			const drawn = await new Promise((r) => requestAnimationFrame(() => r(performance.now())));
			const want = state === "watch.node.drifted" ? "drifted" : "congruent";
			const rows = [...document.querySelectorAll("#machines tbody tr")].filter((tr) => tr.dataset.state === want).length;
			out.push({ ms: drawn - t0, rows });
		}
		return out;
	}, N, Number(bursts));
}

const fmt = (x) => `${x.toFixed(0)} ms`;
console.log(`bench_web: ${N} machines in Chromium (${process.env.CHROMIUM ?? "/usr/bin/chromium"})`);
console.log(`  first render:  median ${fmt(median(renders))}, worst ${fmt(Math.max(...renders))} over ${renders.length} pages` +
	`   (target < 1000 ms)`);
const bm = burst.map((x) => x.ms);
console.log(`  burst of ${N} node events applied and drawn: median ${fmt(median(bm))}, worst ${fmt(Math.max(...bm))} over ${bm.length}` +
	`   (target < 200 ms)`);
const short = burst.filter((x) => x.rows !== N);
if (short.length || problems.length) {
	console.error(`bench_web: ${short.length ? `a burst left rows unchanged (${short.map((x) => x.rows).join(", ")} of ${N})` : ""} ${problems.join("; ")}`);
	process.exit(1);
}
