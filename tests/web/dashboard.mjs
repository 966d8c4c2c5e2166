// The dashboard in Chromium against a running `chimera serve` (tests/e2e/test_web.sh sets it
// up): a viewer sees the lab's machines, watches rows change during a deploy the CLI runs,
// and cannot act; an operator rolls a machine back from its page and finds the rollback in
// the ledger under the token's name. Screenshots of each view go to OUT. Prints "ok - ..." and
// "not ok - ..." lines; exits 1 when any check failed.
// usage: node dashboard.mjs NPM_DIR URL VIEWER_TOKEN OPERATOR_TOKEN OUT_DIR
// env: DEPLOY_CMD (the CLI deploy to run while the viewer watches), DEPLOY_PATH (what it
//      deploys), SLOW_DEPLOY_CMD (one whose page the operator follows as it runs), ROLLBACK_MACHINE (a machine at generation 2 or later, rolled back to 1)
import { execFile } from "node:child_process";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { launch, page, signIn } from "./browser.mjs";

const [npm, url, viewer, operator, out] = process.argv.slice(2);
const { DEPLOY_CMD, DEPLOY_PATH, SLOW_DEPLOY_CMD, ROLLBACK_MACHINE: target } = process.env;
let fails = 0;
const ok = (what, good, detail = "") => {
	if (!good)
		fails++;
	console.log(`${good ? "ok" : "not ok"} - ${what}${!good && detail ? `: ${detail}` : ""}`);
};
const problems = [];
const requests = [];
mkdirSync(out, { recursive: true });

const go = async (p, hash, selector) => {
	await p.evaluate((h) => { location.hash = h; }, hash);
	await p.waitForSelector(selector, { timeout: 30000 });
};
const shot = (p, name) => p.screenshot({ path: join(out, `${name}.png`) });
const sh = (cmd) => new Promise((resolve) => execFile("sh", ["-c", cmd], (err, stdout, stderr) => resolve({ err, stdout, stderr })));

async function asViewer(b) {
	const p = await page(b, problems);
	p.on("request", (r) => requests.push(r.url()));
	await signIn(p, url, viewer);
	const names = await p.$$eval("#machines tbody tr", (rs) => rs.map((r) => r.dataset.name).sort());
	ok(`the viewer sees the lab's machines (${names.join(", ")})`, names.length === 3 && names.includes(target), names.join(","));
	ok("it says who signed in", (await p.$eval("#who", (e) => e.textContent)).includes("viewer"));
	await p.waitForFunction(() => document.body.dataset.stream === "live", { timeout: 10000 });
	ok("the event stream is live", true);
	const gens = await p.waitForFunction(() => [...document.querySelectorAll("#machines tbody tr td:nth-child(4)")]
		.every((td) => /^[0-9]+$/.test(td.textContent)), { timeout: 15000 }).then(() => true, () => false);
	ok("each row shows its machine's generation (asked after the first render)", gens);
	await shot(p, "fleet");

	// A deploy from the CLI while the page is open: the rows change, the page is not reloaded.
	await p.evaluate(() => {
		window.marker = 1;
		window.seen = [];
		new MutationObserver(() => {
			for (const tr of document.querySelectorAll("#machines tbody tr"))
				window.seen.push(`${tr.dataset.name}=${tr.querySelector("td.path")?.textContent}`);
		}).observe(document.querySelector("#machines tbody"), { subtree: true, childList: true, attributes: true });
	});
	const head0 = await p.evaluate(() => Number(document.body.dataset.head ?? 0));
	// A second tab (its own sign-in: sessionStorage is per tab) on the deployments list, hidden.
	const d = await page(b, problems);
	await signIn(d, url, viewer);
	await go(d, "#/deployments", "#deployments tbody tr");
	const before = await d.$$eval("#deployments tbody tr", (rs) => rs.map((r) => r.dataset.deployment));
	await p.bringToFront();	// the fleet in front, drawn each frame; the list behind it, on a timer
	const run = await sh(DEPLOY_CMD);
	ok("the CLI deploy ran", !run.err, run.stderr.slice(0, 300));
	// Both web rows showed the new path (web-0's watch may heal it back at once: seen, not now).
	const changed = await p.waitForFunction((path) => ["web-0", "web-1"].every((n) => window.seen.some((x) => x === `${n}=${path}`)),
		{ timeout: 20000 }, DEPLOY_PATH).then(() => true, () => false);
	ok("the web rows showed the deployed store path as it came", changed);
	const healed = await p.waitForFunction(() => Number(document.querySelector("#machines tr[data-name='web-0'] td:nth-child(7)")?.textContent) >= 1,
		{ timeout: 20000 }).then(() => true, () => false);
	ok("then web-0's row counts the watch's heal back to its configuration", healed);
	const added = await d.waitForFunction((old) => [...document.querySelectorAll("#deployments tbody tr")]
		.some((r) => !old.includes(r.dataset.deployment) && /success/.test(r.textContent)), { timeout: 10000 }, before)
		.then(() => true, () => false);
	ok("the deployments list gained the CLI's deployment, ended success, without a reload", added &&
		(await d.evaluate(() => performance.getEntriesByType("navigation").length)) === 1);
	await d.close();
	const st = await p.evaluate(() => ({ marker: window.marker, seen: window.seen.length, head: Number(document.body.dataset.head),
		navs: performance.getEntriesByType("navigation").length }));
	ok(`the rows changed live (${st.seen} mutations, head ${head0} -> ${st.head}), without a reload`,
		st.marker === 1 && st.seen > 0 && st.head > head0 && st.navs === 1, JSON.stringify(st));
	await p.keyboard.press("/");
	ok("the / key focuses the name filter", await p.evaluate(() => document.activeElement?.id === "f-name"));
	await p.keyboard.type("db");
	const typed = await p.$$eval("#machines tbody tr", (rs) => rs.map((r) => r.dataset.name).join());
	ok(`typing filters by name (${typed})`, typed === "db-0");
	await p.$eval("#f-name", (e) => { e.value = ""; e.dispatchEvent(new Event("input")); });
	await p.select("#f-tag", "web");
	const filtered = await p.$$eval("#machines tbody tr", (rs) => rs.length);
	ok(`the tag filter keeps the tagged machines (${filtered})`, filtered === 2);
	await p.select("#f-tag", "");
	await p.click("#machines thead th:first-child button");
	const desc = await p.$$eval("#machines tbody tr", (rs) => rs.map((r) => r.dataset.name));
	ok("a header click sorts by name, descending", desc.join() === [...desc].sort().reverse().join(), desc.join());

	// No action for a viewer; forcing one is refused by the API.
	await go(p, `#/machine/${target}`, "#generations");
	ok("the viewer's machine page has no rollback button", (await p.$$("[data-rollback]")).length === 0);
	const forced = await p.evaluate(async (m) => (await fetch("/api/v1/rollback", { method: "POST",
		headers: { Authorization: `Bearer ${sessionStorage.getItem("chimera.token")}`, "Content-Type": "application/json" },
		body: JSON.stringify({ targets: m, generation: 1 }) })).status, target);
	ok(`a forced POST /rollback as the viewer: ${forced}`, forced === 403);
	ok("the token is in no URL the page asked", requests.length > 0 && !requests.some((u) => u.includes(viewer)));
	ok("the token is kept in sessionStorage, not localStorage or a cookie", await p.evaluate((t) =>
		sessionStorage.getItem("chimera.token") === t && !JSON.stringify(localStorage).includes(t) && !document.cookie.includes(t), viewer));
	await p.setViewport({ width: 390, height: 844 });
	await go(p, "#/fleet", "#machines tbody tr");
	const wide = await p.evaluate(() => document.documentElement.scrollWidth);
	ok(`at phone width the page does not overflow sideways (${wide}px)`, wide <= 390 + 1);
	await shot(p, "fleet-phone");
	await p.close();
}

async function asOperator(b) {
	const p = await page(b, problems);
	await signIn(p, url, operator);
	await go(p, `#/machine/${target}`, "[data-rollback='1']");
	const facts = await p.waitForFunction(() => /web-sleeper: sleep 600/.test(document.body.textContent) &&
		document.querySelector("#secrets")?.textContent === "web.pass", { timeout: 10000 }).then(() => true, () => false);
	const factRows = await p.$$eval("#facts dt", (ds) => ds.map((d) => d.textContent));
	ok(`the machine page shows its facts (${factRows.slice(0, 4).join(", ")}, ...)`, factRows.length >= 4, factRows.join());
	ok("the machine page lists its session and the secret name granted to it (not the value)", facts &&
		!(await p.evaluate(() => document.body.textContent.includes("not shown"))));
	await shot(p, "machine");
	await p.click("[data-rollback='1']");
	await p.waitForSelector("#confirm[open]");
	const text = await p.$eval("#confirm-text", (e) => e.textContent);
	ok(`the confirmation names the generation ("${text}")`, /generation 1\b/.test(text) && text.includes(target));
	await p.click("#confirm-ok");
	await p.waitForFunction(() => document.querySelector("#act-result")?.dataset.job, { timeout: 10000 });
	const job = await p.$eval("#act-result", (e) => e.dataset.job);
	ok(`the rollback started as job ${job}`, !!job);
	const current = await p.waitForFunction(() => /\(current\)/.test(document.querySelector("tr[data-generation='1']")?.textContent ?? ""),
		{ timeout: 60000 }).then(() => true, () => false);
	ok("the page shows generation 1 current after the rollback (no reload)", current);

	await go(p, "#/fleet", `#machines tr[data-name='${target}']`);
	const gen = await p.$eval(`#machines tr[data-name='${target}'] td:nth-child(4)`, (td) => td.textContent);
	ok(`the fleet row of ${target} says generation 1 (${gen}), from the rollback's event`, gen === "1");
	await go(p, "#/ledger", "#events tbody tr");
	await p.type("#l-topic", "job.accepted");
	const found = await p.waitForFunction((j) => [...document.querySelectorAll("#events tbody tr")]
		.some((tr) => /"by":"web-operator"/.test(tr.textContent) && /"kind":"rollback"/.test(tr.textContent) && tr.textContent.includes(j)),
	{ timeout: 10000 }, job).then(() => true, () => false);
	ok("the ledger view lists the rollback's job.accepted by web-operator", found);
	await p.click("#verify");
	const verdict = await p.waitForFunction(() => /chain holds/.test(document.querySelector("#verdict")?.textContent ?? ""),
		{ timeout: 20000 }).then(() => true, () => false);
	ok("verify says the chain holds", verdict);
	await p.$eval("#l-topic", (e) => { e.value = ""; e.dispatchEvent(new Event("input")); });
	await p.waitForFunction(() => !document.querySelector("#events tbody tr")?.textContent.includes("job.accepted") ||
		document.querySelectorAll("#events tbody tr").length > 5, { timeout: 5000 }).catch(() => {});
	await shot(p, "ledger");

	// A deploy the CLI runs slowly (a 3 s health check): its page shows it running, then done.
	await go(p, "#/deployments", "#deployments tbody tr");
	const known = await p.$$eval("#deployments tbody tr", (rs) => rs.map((r) => r.dataset.deployment));
	const slow = sh(SLOW_DEPLOY_CMD);
	const id = await p.waitForFunction((old) => [...document.querySelectorAll("#deployments tbody tr")]
		.find((r) => !old.includes(r.dataset.deployment))?.dataset.deployment, { timeout: 20000 }, known)
		.then((v) => v.jsonValue(), () => null);
	ok(`the slow deploy appears in the list (${id})`, !!id);
	await shot(p, "deployments");
	await go(p, `#/deployment/${id}`, "h1");
	const running = await p.evaluate(() => document.querySelector("main p .state")?.textContent);
	const ran = await slow;
	ok("the CLI's slow deploy ran", !ran.err, ran.stderr.slice(0, 300));
	const grew = await p.waitForFunction(() => document.querySelector("main p .state")?.textContent === "success" &&
		document.querySelectorAll("#timeline rect[data-step='health']").length === 1, { timeout: 20000 }).then(() => true, () => false);
	const bars = await p.$$eval("#timeline rect[data-step]", (rs) => rs.length);
	ok(`its page showed it ${running}, then success with ${bars} step bars and its health step, without a reload`,
		running === "running" && grew && bars >= 5 && (await p.evaluate(() => performance.getEntriesByType("navigation").length)) === 1);
	await shot(p, "deployment");
	await go(p, "#/watch", "#rounds-chart");
	await p.waitForFunction(() => document.querySelectorAll("#rounds-chart circle").length > 0, { timeout: 15000 }).catch(() => {});
	ok("the watch chart has rounds", (await p.$$("#rounds-chart circle")).length > 0);
	await shot(p, "watch");
	await p.emulateMediaFeatures([{ name: "prefers-color-scheme", value: "dark" }]);
	const bg = await p.evaluate(() => getComputedStyle(document.body).backgroundColor);
	ok(`prefers-color-scheme: dark gives a dark page (${bg})`, /^rgb\((\d+), (\d+), (\d+)\)$/.test(bg) &&
		bg.match(/\d+/g).every((c) => Number(c) < 64));
	await shot(p, "watch-dark");
	await p.emulateMediaFeatures([{ name: "prefers-color-scheme", value: "light" }]);
	await go(p, "#/jobs", "#jobs tbody tr");
	ok("the jobs view lists the rollback job", (await p.$$(`#jobs tbody tr[data-job='${job}']`)).length === 1);
	const pipe = await p.waitForFunction(() => [...document.querySelectorAll("#pipelines tbody tr")]
		.some((tr) => /SUCCESS/.test(tr.textContent) && /NTL-RED-8/.test(tr.textContent) && /HEALING/.test(tr.textContent)),
	{ timeout: 10000 }).then(() => true, () => false);
	ok("the pipelines view shows the run: its stages, the issue healed, SUCCESS", pipe);
	await shot(p, "jobs");
	await go(p, `#/job/${job}`, "#job-nodes");
	await shot(p, "job");
	await p.close();
}

const { browser, close } = await launch(npm);
try {
	await asViewer(browser);
	await asOperator(browser);
} catch (e) {
	ok("the browser session ran to its end", false, e.stack);
} finally {
	await close();
}
ok(`no script error and no CSP violation in the page${problems.length ? ` (${problems.length})` : ""}`, problems.length === 0, problems.join("; "));
process.exit(fails ? 1 : 0);
