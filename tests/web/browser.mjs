// Debian's chromium driven by puppeteer-core (tests/package.json, installed into BUILD/npm by
// scripts/npm-test-deps.sh): headless, a fresh profile, nothing fetched from anywhere.
import { mkdtempSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";

export const CHROMIUM = process.env.CHROMIUM ?? "/usr/bin/chromium";

// The browser and its cleanup; NPM is the directory holding node_modules/puppeteer-core.
export async function launch(npm, { width = 1280, height = 800 } = {}) {
	const puppeteer = createRequire(join(npm, "package.json"))("puppeteer-core");
	const profile = mkdtempSync(join(tmpdir(), "chimera-web-"));
	const browser = await puppeteer.launch({
		executablePath: CHROMIUM,
		headless: true,
		defaultViewport: { width, height },
		args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
			"--disable-component-update", "--disable-sync", "--no-first-run", `--user-data-dir=${profile}`],
	});
	const close = async () => {
		await browser.close().catch(() => {});
		rmSync(profile, { recursive: true, force: true });
	};
	return { browser, close };
}

// A page that fails the run on any script error or CSP violation it reports.
export async function page(browser, problems) {
	const p = await browser.newPage();
	p.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
	p.on("console", (m) => {
		// A refused fetch is logged as "Failed to load resource": the checks judge statuses themselves.
		if (m.type() === "error" && !m.text().startsWith("Failed to load resource"))
			problems.push(`console error: ${m.text()}`);
	});
	return p;
}

// Sign in with TOKEN on the page at URL; resolves once the fleet is drawn.
export async function signIn(p, url, tok) {
	await p.goto(url, { waitUntil: "domcontentloaded" });
	await p.waitForSelector("#token", { visible: true });
	await p.type("#token", tok);
	await p.keyboard.press("Enter");
	await p.waitForSelector("#machines tbody tr", { timeout: 20000 });
}
