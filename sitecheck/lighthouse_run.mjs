// One Lighthouse run for sitecheck/lighthouse.py, through Lighthouse's Node API:
//
//   node lighthouse_run.mjs PREFIX CHROMIUM URL OUT FLAGS_JSON
//
// PREFIX: the folder npm installed Lighthouse into (.lighthouse/); CHROMIUM: the browser; OUT:
// where the JSON report goes; FLAGS_JSON: Lighthouse's flags (onlyCategories, skipAudits,
// throttling, ...), with "preset": "desktop" for Lighthouse's desktop config (the CLI's
// --preset=desktop). Chromium is launched as the CLI launches it (chrome-launcher, headless).
//
// Why not the CLI: Lighthouse 12.2.3's CLI stays alive about 3.5 s after it has written its
// report and killed Chromium (on a 2-core machine, 2026-12-02), about a quarter of each run.
// Here the process exits as soon as the report is written and Chromium is killed.
import fs from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";

const [prefix, chromium, url, out, flagsJson] = process.argv.slice(2);
const load = (file) => import(pathToFileURL(path.join(prefix, "node_modules", file)).href);
const { default: lighthouse } = await load("lighthouse/core/index.js");
const { launch } = await load("chrome-launcher/dist/index.js");
const { preset, ...flags } = JSON.parse(flagsJson);
const config = preset === "desktop"
  ? (await load("lighthouse/core/config/desktop-config.js")).default : undefined;

const chrome = await launch({ chromePath: chromium, chromeFlags: ["--headless=new", "--no-sandbox"] });
let code = 0;
try {
  const result = await lighthouse(url, { ...flags, port: chrome.port, output: "json", logLevel: "error" }, config);
  fs.writeFileSync(out, result.report);
} catch (err) {
  console.error(err);
  code = 1;
} finally {
  chrome.kill();
}
process.exit(code);
