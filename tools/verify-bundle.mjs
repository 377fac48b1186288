#!/usr/bin/env node
// Verify an OwnersVote audit bundle with the independent JavaScript verifier
// (webapp/static/js/verifier.js), the second implementation beside `ownersvote verify`.
//
//   node tools/verify-bundle.mjs BUNDLE [--receipt R ...] [--server-key KID ...]
//                                [--supervisor-key KID ...] [--all] [--json] [--progress]
//
// --server-key (repeatable: the keys before and after a rotation) trusts only those server keys.
//
// Exit status: 0 every check passed; 1 at least one check failed (each listed as
// "[check] message", the first 20 of each check unless --all); 2 the bundle (or a receipt)
// cannot be read, or is not acceptable JSON (docs/bundle-format.md §1).
//
//   node tools/verify-bundle.mjs --batch < JOBS.jsonl
//
// verifies many bundles in one process (for the test suite): each input line is a JSON object
// {"path": F | "text": T, "receipts": [F, ...], "receipt_texts": [T, ...], "server_key": KID | [KID, ...],
// "supervisor_keys": [KID, ...]}; each output line is {"ok", "readable", "failures"} or
// {"error": message} when a file cannot be read.  Exit status 0 unless the input is unreadable.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { createInterface } from "node:readline";

const require = createRequire(import.meta.url);
const here = dirname(fileURLToPath(import.meta.url));
const V = require(join(here, "..", "webapp", "static", "js", "verifier.js"));

const USAGE = "usage: node tools/verify-bundle.mjs BUNDLE [--receipt R ...] [--server-key KID ...] " +
  "[--supervisor-key KID ...] [--all] [--json] [--progress]\n       node tools/verify-bundle.mjs --batch < JOBS.jsonl";

function parseArgs(argv) {
  const args = { receipts: [], serverKeys: [], supervisorKeys: [], all: false, json: false, progress: false, batch: false, bundle: null };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => {
      if (i + 1 >= argv.length) throw new Error(`${a} needs a value`);
      return argv[++i];
    };
    if (a === "--receipt") args.receipts.push(value());
    else if (a === "--server-key") args.serverKeys.push(value());
    else if (a === "--supervisor-key") args.supervisorKeys.push(value());
    else if (a === "--all") args.all = true;
    else if (a === "--json") args.json = true;
    else if (a === "--progress") args.progress = true;
    else if (a === "--batch") args.batch = true;
    else if (a === "-h" || a === "--help") { console.log(USAGE); process.exit(0); }
    else if (a.startsWith("-")) throw new Error(`unknown option ${a}`);
    else if (args.bundle === null) args.bundle = a;
    else throw new Error(`unexpected argument ${a}`);
  }
  if (!args.batch && args.bundle === null) throw new Error("the bundle to verify is required");
  return args;
}

async function batch() {
  const lines = createInterface({ input: process.stdin, crlfDelay: Infinity });
  for await (const line of lines) {
    if (!line.trim()) continue;
    let out;
    try {
      const job = JSON.parse(line);
      const input = job.text !== undefined ? job.text : readFileSync(job.path);
      const receipts = (job.receipts || []).map((f) => readFileSync(f, "utf8")).concat(job.receipt_texts || []);
      const report = await V.verifyBundle(input, {
        receipts, serverKey: job.server_key, supervisorKeys: job.supervisor_keys,
      });
      out = { ok: report.ok, readable: report.readable, failures: report.failures, seconds: report.facts.seconds };
    } catch (e) {
      out = { error: String(e && e.message ? e.message : e) };
    }
    process.stdout.write(JSON.stringify(out) + "\n");
  }
}

async function main() {
  let args;
  try {
    args = parseArgs(process.argv.slice(2));
  } catch (e) {
    process.stderr.write(`${USAGE}\nverify-bundle: error: ${e.message}\n`);
    return 2;
  }
  if (args.batch) { await batch(); return 0; }
  let bundle;
  const receipts = [];
  try {
    bundle = readFileSync(args.bundle);
    for (const r of args.receipts) receipts.push(readFileSync(r, "utf8"));
  } catch (e) {
    process.stderr.write(`verify-bundle: cannot read ${e.path || args.bundle}: ${e.message}\n`);
    return 2;
  }
  let lastShown = -1;
  const onProgress = args.progress ? (done, total, what) => {
    const pct = Math.floor((100 * done) / total);
    if (pct !== lastShown) { lastShown = pct; process.stderr.write(`\r${pct}% ${what}        `); }
  } : undefined;
  const report = await V.verifyBundle(bundle, {
    receipts,
    serverKey: args.serverKeys.length ? args.serverKeys : undefined,
    supervisorKeys: args.supervisorKeys.length ? args.supervisorKeys : undefined,
    onProgress,
  });
  if (args.progress) process.stderr.write("\n");
  if (args.json) {
    process.stdout.write(JSON.stringify({
      ok: report.ok, readable: report.readable, failures: report.failures, facts: report.facts,
      certification_payload: report.certificationPayload,
    }, null, 2) + "\n");
  } else if (!report.readable) {
    process.stderr.write(`verify-bundle: ${args.bundle}: FAILED — ${report.failures.map((f) => f.message).join("; ")}\n`);
  } else {
    process.stdout.write(V.summarize(report, args.all ? 0 : 20) + "\n");
  }
  if (!report.readable) return 2;
  return report.ok ? 0 : 1;
}

main().then((code) => { process.exitCode = code; }, (e) => {
  process.stderr.write(`verify-bundle: internal error: ${e && e.stack ? e.stack : e}\n`);
  process.exitCode = 2;
});
