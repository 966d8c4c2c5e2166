// web/api.js's SseParser, the page's reader of /api/v1/events/stream, against text cut at
// every byte: the same events whatever the chunks, CRLF or LF, comments, multi-line data,
// frames without data skipped, an unfinished frame kept for the next chunk.
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";

const { SseParser } = await import(fileURLToPath(new URL("../../web/api.js", import.meta.url)));
let passed = 0;
let failed = 0;
function check(what, fn) {
	try {
		fn();
		passed++;
		console.log(`ok - ${what}`);
	} catch (e) {
		failed++;
		console.log(`not ok - ${what}: ${e.message}`);
	}
}

const stream = ": keep-alive\n\nid: 7\nevent: node.exec\ndata: {\"seq\":7}\n\n" +
	"id: 8\r\nevent: watch.round\r\ndata: {\"seq\":\r\ndata: 8}\r\n\r\n" +
	"event: no.data\n\n" + "id: 9\ndata:{\"seq\":9}\n\n";
const want = [
	{ id: "7", event: "node.exec", data: "{\"seq\":7}" },
	{ id: "8", event: "watch.round", data: "{\"seq\":\n8}" },
	{ id: "9", data: "{\"seq\":9}" },
];

check("whole: three events, the comment and the frame without data skipped", () =>
	assert.deepEqual(new SseParser().push(stream), want));
check("cut at every offset into two chunks: the same events", () => {
	for (let i = 0; i <= stream.length; i++) {
		const p = new SseParser();
		assert.deepEqual([...p.push(stream.slice(0, i)), ...p.push(stream.slice(i))], want, `cut at ${i}`);
	}
});
check("one character at a time: the same events", () => {
	const p = new SseParser();
	assert.deepEqual([...stream].flatMap((c) => p.push(c)), want);
});
check("an unfinished frame is not given until its blank line", () => {
	const p = new SseParser();
	assert.deepEqual(p.push("id: 1\ndata: {}\n"), []);
	assert.deepEqual(p.push("\n"), [{ id: "1", data: "{}" }]);
});
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
