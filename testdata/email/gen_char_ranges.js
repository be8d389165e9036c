#!/usr/bin/env node
// For every Unicode scalar value c (U+0000..U+10FFFF, surrogates excluded since Rust
// strings cannot hold them), asks the real npm `validator` isEmail (default options)
// whether c is accepted at each of a few positions, and prints the accepted code points
// as inclusive [lo, hi] ranges. This pins every character class of the port exhaustively,
// including the JS quirks (code-unit matching of astral characters, `/i` without `u`).
//
// Usage (see README.md):
//   npm install --no-save --no-package-lock validator@13.15.35
//   node gen_char_ranges.js > char_ranges.json
'use strict';

const EXPECTED_VERSION = '13.15.35';
const pkg = require('validator/package.json');
if (pkg.version !== EXPECTED_VERSION) {
  console.error(`validator ${pkg.version} installed, expected ${EXPECTED_VERSION}`);
  process.exit(1);
}
const isEmail = require('validator/lib/isEmail');

// "{}" stands for the probed character.
const probes = {
  local: 'a{}b@example.com',
  local_alone: '{}@example.com',
  quoted: '"a{}b"@example.com',
  quoted_escaped: '"a\\{}b"@example.com',
  label: 'x@a{}b.example.com',
  label_edge: 'x@{}.example.com',
  tld: 'x@example.a{}b',
  tld_xn: 'x@example.xn-{}',
};

const out = { validator: pkg.version, probes: {} };
for (const [name, template] of Object.entries(probes)) {
  const [pre, post] = template.split('{}');
  const ranges = [];
  let start = -1;
  for (let cp = 0; cp <= 0x110000; cp++) {
    const surrogate = cp >= 0xd800 && cp <= 0xdfff;
    const ok = cp <= 0x10ffff && !surrogate && isEmail(pre + String.fromCodePoint(cp) + post);
    if (surrogate) continue; // neither extends nor closes a range
    if (ok && start < 0) start = cp;
    if (!ok && start >= 0) {
      ranges.push([start, prevValid(cp)]);
      start = -1;
    }
  }
  out.probes[name] = { template, ranges };
}

function prevValid(cp) {
  const p = cp - 1;
  return p === 0xdfff ? 0xd7ff : p;
}

// One range per line keeps diffs readable. A range may span the surrogate block,
// which is never probed.
const lines = ['{', `  "validator": ${JSON.stringify(out.validator)},`, '  "probes": {'];
const names = Object.keys(out.probes);
names.forEach((name, i) => {
  const { template, ranges } = out.probes[name];
  lines.push(`    ${JSON.stringify(name)}: {`);
  lines.push(`      "template": ${JSON.stringify(template)},`);
  lines.push('      "ranges": [');
  ranges.forEach((r, j) => {
    lines.push(`        [${r[0]}, ${r[1]}]${j + 1 < ranges.length ? ',' : ''}`);
  });
  lines.push('      ]');
  lines.push(`    }${i + 1 < names.length ? ',' : ''}`);
});
lines.push('  }', '}');
process.stdout.write(lines.join('\n') + '\n');
