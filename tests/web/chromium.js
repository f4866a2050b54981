// Drives headless Chromium over the DevTools protocol on a pipe (no package needed but
// axe-core): `node chromium.js axe AXE_JS URL...` prints each page's axe-core violations as
// JSON; `node chromium.js shot URL WIDTH OUT.png` saves a full-page screenshot at that width.
"use strict";
const { spawn } = require("child_process");
const fs = require("fs");
const os = require("os");
const path = require("path");

const browser = process.env.CHROMIUM || "/usr/bin/chromium";
const profile = fs.mkdtempSync(path.join(os.tmpdir(), "yearbook-chromium-"));
const child = spawn(browser, [
  "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
  "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-dev-shm-usage",
  "--user-data-dir=" + profile, "--remote-debugging-pipe", "about:blank",
], { stdio: ["ignore", "ignore", "pipe", "pipe", "pipe"] });
let stderr = "";
child.stderr.on("data", (d) => { stderr += d; });
const out = child.stdio[3];
const inp = child.stdio[4];
let next = 1;
const waiting = new Map();
const events = [];
let buffer = Buffer.alloc(0);
inp.on("data", (chunk) => {
  buffer = Buffer.concat([buffer, chunk]);
  let end;
  while ((end = buffer.indexOf(0)) >= 0) {
    const msg = JSON.parse(buffer.subarray(0, end).toString("utf8"));
    buffer = buffer.subarray(end + 1);
    if (msg.id && waiting.has(msg.id)) {
      const { resolve, reject } = waiting.get(msg.id);
      waiting.delete(msg.id);
      if (msg.error) { reject(new Error(JSON.stringify(msg.error))); } else { resolve(msg.result); }
    } else if (msg.method) {
      events.forEach((f) => f(msg));
    }
  }
});
function send(method, params, sessionId) {
  const id = next++;
  const msg = { id, method, params: params || {} };
  if (sessionId) { msg.sessionId = sessionId; }
  out.write(JSON.stringify(msg) + "\0");
  return new Promise((resolve, reject) => waiting.set(id, { resolve, reject }));
}
function loaded(sessionId) {
  return new Promise((resolve) => {
    const f = (m) => { if (m.method === "Page.loadEventFired" && m.sessionId === sessionId) { resolve(); } };
    events.push(f);
  });
}
async function open(url, width) {
  const { targetId } = await send("Target.createTarget", { url: "about:blank" });
  const { sessionId } = await send("Target.attachToTarget", { targetId, flatten: true });
  await send("Page.enable", {}, sessionId);
  if (width) {
    await send("Emulation.setDeviceMetricsOverride",
      { width, height: 900, deviceScaleFactor: 1, mobile: width < 600 }, sessionId);
  }
  const done = loaded(sessionId);
  await send("Page.navigate", { url }, sessionId);
  await done;
  return sessionId;
}
async function evaluate(sessionId, expression) {
  const r = await send("Runtime.evaluate", { expression, awaitPromise: true, returnByValue: true }, sessionId);
  if (r.exceptionDetails) { throw new Error(JSON.stringify(r.exceptionDetails)); }
  return r.result.value;
}
async function main() {
  const [mode, ...args] = process.argv.slice(2);
  if (mode === "axe") {
    const [axe, ...urls] = args;
    const source = fs.readFileSync(axe, "utf8");
    const results = {};
    for (const url of urls) {
      const s = await open(url, 1280);
      await evaluate(s, source + ";0");
      results[url] = await evaluate(s, "axe.run(document, { resultTypes: ['violations'] })" +
        ".then(r => r.violations.map(v => ({ id: v.id, impact: v.impact, help: v.help," +
        " nodes: v.nodes.slice(0, 5).map(n => n.html + ' :: ' + n.failureSummary) })))");
    }
    process.stdout.write(JSON.stringify(results, null, 1) + "\n");
  } else if (mode === "shot") {
    const [url, width, file] = args;
    const s = await open(url, Number(width));
    const { contentSize } = await send("Page.getLayoutMetrics", {}, s);
    const height = Math.min(Math.ceil(contentSize.height), 2400);
    const shot = await send("Page.captureScreenshot",
      { format: "png", captureBeyondViewport: true,
        clip: { x: 0, y: 0, width: Number(width), height, scale: 1 } }, s);
    fs.writeFileSync(file, Buffer.from(shot.data, "base64"));
  } else {
    throw new Error("usage: chromium.js axe AXE_JS URL... | shot URL WIDTH OUT.png");
  }
}
// The profile is removed once Chromium has exited (it writes to it until then).
function finish(code) {
  child.on("exit", () => {
    try { fs.rmSync(profile, { recursive: true, force: true }); } catch (e) { /* left in tmp */ }
    process.exit(code);
  });
  child.kill();
}
main().then(
  () => finish(0),
  (e) => { process.stderr.write(String(e && e.stack || e) + "\n" + stderr); finish(2); });
