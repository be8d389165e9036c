#!/usr/bin/env node
// Asks the real npm `validator` package for its isEmail verdicts (default options) on a
// list of tricky addresses, and prints them as JSON lines: {"email": "...", "valid": bool}.
//
// Usage (see README.md):
//   npm install --no-save --no-package-lock validator@13.15.35
//   node gen_corpus.js > corpus.jsonl
'use strict';

const EXPECTED_VERSION = '13.15.35';
const pkg = require('validator/package.json');
if (pkg.version !== EXPECTED_VERSION) {
  console.error(`validator ${pkg.version} installed, expected ${EXPECTED_VERSION}`);
  process.exit(1);
}
const isEmail = require('validator/lib/isEmail');

const rep = (s, n) => s.repeat(n);
const cases = [];
const add = (...xs) => {
  for (const x of xs) cases.push(x);
};

// --- Plain shapes, including the project's generated data shapes.
add(
  'a@b.co',
  'test@example.com',
  'first.last5@sub.corp-mail.net',
  'Liam.Lopez1@Acme-corp.com',
  'first.last@sub.corp-mail.net',
  'Emma.Smith42@Globex.io',
  'noah_jones@initech.org',
  'olivia+tag@example.co.uk',
  'ava-brown@mail.example-site.com',
  'user123@domain123.com',
  'u@d.museum',
  'x@example.technology',
  'TEST@EXAMPLE.COM',
  'Test.User@Example.Com',
  'mIxEd.CaSe@ExAmPlE.oRg',
  'user@localhost',
  'user@example',
  'user@com',
  'a@b.c',
  'a@b.cc',
  'a@b.c1',
  'a@b.1c',
  'a@sub.sub.sub.example.com',
  'a@a.b.c.d.e.f.g.h.i.j.k.l.m.n.o.p.com',
  'plainaddress',
  'example.com',
  '',
  '@',
  '@@',
  'a@',
  '@b.com',
  '@example.com',
  'a@b@c.com',
  'a@@b.com',
  'a@b.com@',
  '@a@b.com',
);

// --- Every ASCII special allowed in the unquoted local part, alone and in context.
for (const ch of "!#$%&'*+-/=?^_`{|}~") {
  add(`${ch}@example.com`, `a${ch}b@example.com`);
}
// ... and the ASCII ones that are not.
for (const ch of ' "(),:;<>[\\]@') {
  add(`a${ch}b@example.com`);
}
add(
  "!#$%&'*+-/=?^_`{|}~@example.com",
  'user%example.com@example.org',
  'user-@example.org',
  '-user@example.org',
  '_user_@example.org',
  'a/b@example.com',
  'a=b@example.com',
  'a?b@example.com',
);

// --- Dots in the local part.
add(
  '.a@example.com',
  'a.@example.com',
  'a..b@example.com',
  '.@example.com',
  '..@example.com',
  'a.b.c.d@example.com',
  'a.b@example.com',
);

// --- Quoted local parts.
add(
  '"a"@example.com',
  '""@example.com',
  '"@example.com',
  '"""@example.com',
  '" "@example.com',
  '"  "@example.com',
  '"john doe"@example.com',
  '"john..doe"@example.com',
  '".john"@example.com',
  '"john."@example.com',
  '"a@b"@example.com',
  '"a\\"b"@example.com',
  '"a"b"@example.com',
  '"a\\\\b"@example.com',
  '"a\\b"@example.com',
  '"\\"@example.com',
  '"\\\\"@example.com',
  '"a\\ b"@example.com',
  '"a\tb"@example.com',
  '"a\nb"@example.com',
  '"a\rb"@example.com',
  '"a\\\nb"@example.com',
  '"a\\\rb"@example.com',
  '"a\\\tb"@example.com',
  '"a\u000bb"@example.com',
  '"a\u000cb"@example.com',
  '"a\u0001b"@example.com',
  '"a\\\u0001b"@example.com',
  '"a\u0000b"@example.com',
  '"a\\\u0000b"@example.com',
  '"a\u007fb"@example.com',
  '"a\u0080b"@example.com',
  '"a\u009fb"@example.com',
  '"a\u00a0b"@example.com',
  '"a\\\u00a0b"@example.com',
  '"a\\\u0085b"@example.com',
  '"a(b)c"@example.com',
  '"a,b"@example.com',
  '"a[b]"@example.com',
  '"a;b:c"@example.com',
  '"<a>"@example.com',
  '"été"@example.com',
  '"日本"@example.com',
  '"a\u{1F600}b"@example.com',
  '"a\\\u{1F600}"@example.com',
  '"a\ue000b"@example.com',
  '"a\ufdd0b"@example.com',
  '"a\ufff0b"@example.com',
  '"a\uffefb"@example.com',
  '"a\uf900b"@example.com',
  '"a\u3000b"@example.com',
  '"a\u2028b"@example.com',
  '"a"."b"@example.com',
  '"a".b@example.com',
  'a."b"@example.com',
  'a"b"@example.com',
  '"a"b@example.com',
  '"test"@localhost',
  '"a"@b',
  '" "@b.com',
  `"${rep('a', 62)}"@example.com`,
  `"${rep('a', 63)}"@example.com`,
  `"${rep('é', 31)}"@example.com`,
);

// --- UTF-8 local parts.
add(
  'josé@example.com',
  'JOSÉ@example.com',
  'müller@example.de',
  'ñandú@example.es',
  'χρήστης@example.gr',
  'пользователь@example.ru',
  '用户@example.com',
  '用户@例子.广告',
  'ユーザー@example.jp',
  '사용자@example.kr',
  'משתמש@example.co.il',
  'مستخدم@example.com',
  'उपयोगकर्ता@example.in',
  'a\u00a0b@example.com',
  'a\u00a1b@example.com',
  '\u00a1@example.com',
  '\u00a9@example.com',
  'a\u00adb@example.com',
  'a\u200bb@example.com',
  'a\u2000b@example.com',
  'a\u3000b@example.com',
  'a\ufeffb@example.com',
  'a\ud7ffb@example.com',
  'a\ue000b@example.com',
  'a\uf8ffb@example.com',
  'a\uf900b@example.com',
  'a\ufdcfb@example.com',
  'a\ufdd0b@example.com',
  'a\ufdefb@example.com',
  'a\ufdf0b@example.com',
  'a\uffefb@example.com',
  'a\ufff0b@example.com',
  'a\ufffdb@example.com',
  'a\uffffb@example.com',
  'a\u0080b@example.com',
  'a\u009fb@example.com',
  'a\u0085b@example.com',
  'ａｂｃ@example.com',
  'a\uff01b@example.com',
  '\u{1F600}@example.com',
  'a\u{1F600}b@example.com',
  'a\u{10000}@example.com',
  'a\u{10FFFF}@example.com',
  'a\u{20000}@example.com',
  'e\u0301@example.com',
  'café.crème@example.fr',
  'é.@example.com',
  '.é@example.com',
);

// --- Case-folding traps: JS /i without the `u` flag never folds non-ASCII into ASCII.
add(
  '\u212a@example.com', // KELVIN SIGN
  'a@example.\u212a\u212a',
  'a@example.x\u212a',
  'a@\u212a.com',
  '\u017f@example.com', // LATIN SMALL LETTER LONG S
  'a@example.\u017f\u017f',
  'a@example.xn\u017f\u017f',
  'a@example.\u0131\u0131', // DOTLESS I
  'a@example.\u0130\u0130', // CAPITAL I WITH DOT
  'a@example.x\u0131',
  'a@example.\u00df\u00df', // SHARP S
  'a@example.\u1e9e\u1e9e',
  'a@example.\u00b5\u00b5', // MICRO SIGN
  'a@example.XN--P1AI',
  'a@example.Xn--p1ai',
  'a@example.xN--p1ai',
  'a@example.XN\u212a\u212a',
  'a@example.ǅǅ',
  'a@example.ﬀﬀ',
);

// --- Domain: TLD rules.
add(
  'a@example.com',
  'a@example.c',
  'a@example.co',
  'a@example.123',
  'a@example.1',
  'a@example.12a',
  'a@example.a1',
  'a@example.c0m',
  'a@example.co-m',
  'a@example.-com',
  'a@example.com-',
  'a@example.c_m',
  'a@example.xn--p1ai',
  'a@пример.xn--p1ai',
  'a@xn--e1afmkfd.xn--p1ai',
  'a@example.xn--',
  'a@example.xn-',
  'a@example.xn',
  'a@example.xn1',
  'a@example.xn12',
  'a@example.xn-1',
  'a@example.xn--1',
  'a@example.xn-a-',
  'a@example.xna',
  'a@example.xnab',
  'a@example.xn_ab',
  'a@example.xn--ab_',
  'a@example.xx--p1ai',
  'a@example.рф',
  'a@example.р',
  'a@example.中国',
  'a@example.中',
  'a@example.みんな',
  'a@example.é',
  'a@example.éé',
  'a@example.a\u00a8',
  'a@example.a\u00a9',
  'a@example.a\u00aa',
  'a@example.\u00a1\u00a1',
  'a@example.\u00a0\u00a0',
  'a@example.a\u00a0',
  'a@example.co\u2000m',
  'a@example.co\u1680m',
  'a@example.co\u2028m',
  'a@example.co\u202fm',
  'a@example.co\u205fm',
  'a@example.co\u3000m',
  'a@example.co\ufeffm',
  'a@example.co\u180em',
  'a@example.co\u200bm',
  'a@example.co\u0085m',
  'a@example.co m',
  'a@example.co\tm',
  'a@example.co\u00adm',
  'a@example.a\ud7ff',
  'a@example.a\ue000',
  'a@example.a\uf8ff',
  'a@example.a\uf900',
  'a@example.a\ufdcf',
  'a@example.a\ufdd0',
  'a@example.a\ufdef',
  'a@example.a\ufdf0',
  'a@example.a\uffef',
  'a@example.a\ufff0',
  'a@example.a\ufffd',
  'a@example.\u{1F600}',
  'a@example.\u{1F600}\u{1F600}',
  'a@example.a\u{10000}',
  'a@example.ｃｏｍ',
  'a@example.cｏm',
  'a@example.\uff5f\uff5f',
  'a@example.\uff00\uff00',
  'a@example.\uff61\uff61',
);

// --- Domain: labels.
add(
  'a@-example.com',
  'a@example-.com',
  'a@ex-ample.com',
  'a@ex--ample.com',
  'a@xn--bcher-kva.com',
  'a@xn--bcher-kva.ch',
  'a@bücher.ch',
  'a@BÜCHER.CH',
  'a@ex_ample.com',
  'a@_example.com',
  'a@example_.com',
  'a@sub_domain.example.com',
  'a@1.com',
  'a@123.com',
  'a@1.2.3.com',
  'a@a.com',
  'a@-.com',
  'a@--.com',
  'a@.com',
  'a@..com',
  'a@example..com',
  'a@example.com.',
  'a@.example.com',
  'a@example.com..',
  'a@example.',
  'a@.',
  'a@example.com ',
  ' a@example.com',
  'a @example.com',
  'a@ example.com',
  'a@exa mple.com',
  'a@example.com\n',
  '\na@example.com',
  'a@example.com\r\n',
  'a@example.com\t',
  'a@example.com\u0000',
  'a\u0000@example.com',
  'a@exa\u0000mple.com',
  'a@exa\u007fmple.com',
  'a@exa\u0080mple.com',
  'a@exa\u00a0mple.com',
  'a@exa\u00a1mple.com',
  'a@exa\u00a9mple.com',
  'a@exa\u2000mple.com',
  'a@exa\u3000mple.com',
  'a@exa\ufeffmple.com',
  'a@exa\ue000mple.com',
  'a@exa\ufdd0mple.com',
  'a@exa\uffffmple.com',
  'a@exa\uff01mple.com',
  'a@exa\uff5emple.com',
  'a@exa\uff00mple.com',
  'a@exa\uff5fmple.com',
  'a@ｅｘａｍｐｌｅ.com',
  'a@\u{1F600}.com',
  'a@\u{1F600}\u{1F600}.com',
  'a@ex\u{1F600}ample.com',
  'a@\u{10FFFF}.com',
  'a@\u{20000}.com',
  'a@例子.com',
  'a@例子.测试',
  'a@münchen.de',
  'a@exa!mple.com',
  'a@exa+mple.com',
  'a@exa/mple.com',
  'a@exa:mple.com',
  'a@exa%mple.com',
  'a@exa\\mple.com',
  'a@exa"mple.com',
  'a@(comment)example.com',
  'a@example.com(comment)',
  'a(comment)@example.com',
  'a@EXAMPLE.COM',
  'a@example.COM',
);

// --- IP literals and bare IPs (allow_ip_domain is off by default).
add(
  'a@[1.2.3.4]',
  'a@[127.0.0.1]',
  'a@127.0.0.1',
  'a@1.2.3.4',
  'a@256.256.256.256',
  'a@[IPv6:2001:db8::1]',
  'a@[2001:db8::1]',
  'a@2001:db8::1',
  'a@[]',
  'a@[example.com]',
  'a@[1.2.3.4].com',
  'a@1.2.3.com',
  'a@1.2.3.c0m',
);

// --- Display-name forms (allow_display_name is off by default).
add(
  'Name <a@example.com>',
  'Name<a@example.com>',
  '"Name" <a@example.com>',
  '<a@example.com>',
  'a@example.com <a@example.com>',
  'Name <a@example.com',
  'a@example.com>',
  '<a@example.com',
);

// --- Lengths. Local part: 64 UTF-8 bytes max (not code units).
const dom = 'example.com';
for (const n of [63, 64, 65, 100]) add(`${rep('a', n)}@${dom}`);
add(`${rep('a', 30)}.${rep('b', 33)}@${dom}`); // 64
add(`${rep('a', 30)}.${rep('b', 34)}@${dom}`); // 65
for (const n of [31, 32, 33]) add(`${rep('é', n)}@${dom}`); // 2 bytes each
add(`${rep('é', 32)}a@${dom}`); // 65 bytes, 33 code units
add(`${rep('a', 62)}é@${dom}`); // 64 bytes
add(`${rep('a', 63)}é@${dom}`); // 65 bytes
for (const n of [21, 22]) add(`${rep('日', n)}@${dom}`); // 3 bytes each: 63, 66
add(`${rep('日', 21)}a@${dom}`); // 64 bytes
add(`${rep('日', 21)}ab@${dom}`); // 65 bytes
for (const n of [15, 16, 17]) add(`${rep('\uffe0', n)}@${dom}`);
add(`"${rep('a', 62)}"@${dom}`); // 64 with quotes
add(`"${rep('a', 63)}"@${dom}`); // 65 with quotes
add(`"${rep('é', 31)}"@${dom}`); // 64 bytes
add(`"${rep('é', 31)}a"@${dom}`); // 65 bytes

// Domain labels: 63 code units max.
for (const n of [62, 63, 64]) {
  add(`a@${rep('b', n)}.com`);
  add(`a@example.${rep('c', n)}`);
  add(`a@${rep('é', n)}.com`);
  add(`a@example.xn--${rep('c', n - 4)}`);
}
add(`a@${rep('b', 63)}.${rep('c', 63)}.com`);
add(`a@${rep('\u{1F600}', 31)}b.com`); // 63 code units
add(`a@${rep('\u{1F600}', 32)}.com`); // 64 code units
add(`a@${rep('\u{1F600}', 31)}.com`); // 62 code units
add(`a@${rep('日', 63)}.com`);
add(`a@${rep('日', 64)}.com`);
add(`a@example.${rep('日', 63)}`);
add(`a@example.${rep('日', 64)}`);

// Total: 254 UTF-16 code units max; domain 254 UTF-8 bytes max.
const domainOf = (n) => {
  // Exactly n code units of ASCII: labels of up to 59 "d"s, then ".com".
  const body = [];
  for (let i = 0; i < n - 4; i++) body.push(i % 60 === 59 ? '.' : 'd');
  if (body[body.length - 1] === '.') {
    body[body.length - 1] = 'd';
    body[body.length - 2] = '.';
  }
  const d = body.join('') + '.com';
  if (d.length !== n) throw new Error('domainOf');
  return d;
};
for (const total of [253, 254, 255, 256, 300]) {
  const d = domainOf(total - 2);
  add(`a@${d}`);
}
for (const total of [253, 254, 255]) {
  const d = domainOf(total - 65);
  add(`${rep('a', 64)}@${d}`);
}
{
  // 254 code units total but the local part is full of 2-byte chars:
  // bytes exceed 254 while code units do not.
  const d = domainOf(254 - 33);
  add(`${rep('é', 32)}@${d}`); // 64 bytes local: ok
  add(`${rep('é', 33)}@${d.slice(1)}`); // 66 bytes local
}
{
  // Domain of <= 254 code units but > 254 UTF-8 bytes.
  const lab = rep('é', 60);
  const d = [lab, lab, lab, 'éé'].join('.') + '.com'; // 187 code units, 371 bytes
  add(`a@${d}`);
  const d2 = [rep('é', 40), rep('é', 40), rep('é', 40)].join('.') + '.com'; // 126 cu, 246 bytes
  add(`a@${d2}`);
  const d3 = [rep('é', 42), rep('é', 42), rep('é', 42)].join('.') + '.com'; // 132 cu, 258 bytes
  add(`a@${d3}`);
  const d4 = [rep('é', 41), rep('é', 41), rep('é', 41), 'a'].join('.') + '.com'; // 250+? bytes
  add(`a@${d4}`);
  const d5 = [rep('é', 41), rep('é', 41), rep('é', 41), 'ab'].join('.') + '.com';
  add(`a@${d5}`);
  const d6 = [rep('é', 41), rep('é', 41), rep('é', 41), 'abc'].join('.') + '.com';
  add(`a@${d6}`);
  // Astral characters count as 2 code units toward the 254 total.
  const astral = [rep('\u{1F600}', 31), rep('\u{1F600}', 31), rep('\u{1F600}', 31), rep('\u{1F600}', 31)];
  add(`a@${astral.join('.')}.com`);
  add(`a@${astral.slice(0, 3).join('.')}.com`);
  add(`a@${astral.slice(0, 2).join('.')}.com`);
}
{
  // Exactly at 254 / 255 code units with an astral character in the domain.
  const base = domainOf(252);
  add(`a@\u{1F600}${base.slice(2)}`); // total 254 cu
  add(`a@\u{1F600}${base.slice(1)}`); // total 255 cu
}
// Very long strings.
add(rep('a', 1000));
add(`${rep('a', 1000)}@example.com`);
add(`a@${rep('b', 1000)}.com`);
add(`a@${rep('b.', 500)}com`);
add(rep('@', 300));
add(`${rep('a.', 32)}@example.com`);
add(`${rep('a.', 31)}a@example.com`);

// --- Control characters and whitespace anywhere.
for (const cc of ['\u0000', '\u0001', '\u0008', '\t', '\n', '\u000b', '\u000c', '\r', '\u001f', ' ', '\u007f', '\u0080', '\u0085', '\u00a0']) {
  add(`a${cc}@example.com`, `a@example.com${cc}`, `"a${cc}"@example.com`, `"a\\${cc}"@example.com`);
}

// --- Miscellaneous.
add(
  'a@b.co.uk',
  'a@b.c.uk',
  'a@localhost.localdomain',
  'a@example.com.au',
  'a@example.travel',
  'a@example.xyz',
  'a@a-b-c.d-e-f.com',
  'a@0.com',
  'a@0-0.com',
  'a@a.0a',
  'a@a.a0',
  'a@a.aa',
  'a@a.AA',
  'a@a.A',
  'a@a.-a',
  '1@example.com',
  '1234567890@example.com',
  'a+b+c@example.com',
  'a++@example.com',
  'a@b+c.com',
  'a@b-.c.com',
  'a@b.-c.com',
  'a@b.c-.com',
  'user@[192.168.1.1]',
  'user@192.168.1.1.com',
  '"user@domain"@example.com',
  'user@"domain".com',
  'mailto:a@example.com',
  'a@example.com,b@example.com',
  'a@example.com;b@example.com',
  'a@example.com b@example.com',
);

// --- Deduplicate and emit.
const seen = new Set();
const out = [];
for (const email of cases) {
  if (seen.has(email)) continue;
  seen.add(email);
  if (/[\ud800-\udfff]/.test(email.replace(/[\ud800-\udbff][\udc00-\udfff]/g, ''))) {
    throw new Error(`lone surrogate in ${JSON.stringify(email)}: Rust strings cannot hold it`);
  }
  out.push(JSON.stringify({ email, valid: isEmail(email) }));
}
process.stdout.write(out.join('\n') + '\n');
