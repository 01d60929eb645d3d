// The import's chunking (src/lib/chunks.ts): whole records only, quotes respected, UTF-8
// and Big5 bytes never cut, chunk 0 starting with the header. Run by `npm test`.
import assert from "node:assert/strict";
import { mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import test from "node:test";
import { pathToFileURL } from "node:url";
import { transformWithOxc } from "vite";

const source = await readFile(new URL("../src/lib/chunks.ts", import.meta.url), "utf8");
const { code } = await transformWithOxc(source, "chunks.ts", { lang: "ts" });
const dir = await mkdtemp(join(tmpdir(), "kairos-console-"));
await writeFile(join(dir, "chunks.mjs"), code);
const { head, lastRecordEnd, pieces } = await import(pathToFileURL(join(dir, "chunks.mjs")).href);

const bytes = (text) => new TextEncoder().encode(text);
const joined = async (blob, found) =>
  Buffer.concat(
    await Promise.all(found.map(async (p) => Buffer.from(await blob.slice(p.start, p.end).arrayBuffer()))),
  );

test("a record ends at a newline outside quotes", () => {
  assert.equal(lastRecordEnd(bytes('a,b\n"x\ny",2\npartial')), 12);
  assert.equal(lastRecordEnd(bytes('"never closed\n')), 0);
  assert.equal(lastRecordEnd(bytes('a,"say ""hi""\n"\n')), 16);
});

test("chunks hold whole records, within the limit, and put the file back together", async () => {
  const rows = ["name,email,note"];
  for (let i = 0; i < 500; i++) rows.push(`陳小美${i},m${i}@example.com,"line one\nline ""two"", 三"`);
  const blob = new Blob([rows.join("\r\n") + "\r\n"]);
  const found = await pieces(blob, 4096);
  assert.ok(found.length > 4);
  for (const piece of found) {
    assert.ok(piece.end - piece.start <= 4096);
    const part = new Uint8Array(await blob.slice(piece.start, piece.end).arrayBuffer());
    assert.equal(part[part.length - 1], 0x0a);
    new TextDecoder("utf-8", { fatal: true }).decode(part); // no character cut in two
  }
  assert.equal(found[0].start, 0);
  assert.deepEqual(await joined(blob, found), Buffer.from(await blob.arrayBuffer()));
});

test("Big5 bytes (second bytes 0x40-0x7E, 0xA1-0xFE) never look like a quote or newline", async () => {
  const big5Row = Buffer.from([0xb3, 0xaf, 0xa4, 0x70, 0xac, 0xfc, 0x2c, 0x31, 0x0a]); // 陳小美,1
  const blob = new Blob([Buffer.from("name,n\n"), ...Array(300).fill(big5Row)]);
  const found = await pieces(blob, 100);
  for (const piece of found) assert.equal((piece.end - piece.start - (piece.start ? 0 : 7)) % 9, 0);
  assert.deepEqual(await joined(blob, found), Buffer.from(await blob.arrayBuffer()));
});

test("a record longer than the limit is refused; the head is cut after a record", async () => {
  await assert.rejects(pieces(new Blob(["a\n" + "x".repeat(50) + "\nb\n"]), 20), RangeError);
  const cut = await head(new Blob(["h\n111\n222\n333"]), 8);
  assert.equal(new TextDecoder().decode(cut), "h\n111\n");
});
