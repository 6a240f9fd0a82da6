// mustache_bench.js - the mustache.js side of bench/bench_mustache.sh.
//
//   node mustache_bench.js TEMPLATE DATA.json MODE SECONDS OUT
//
// Same protocol as mustache_bench.c: the template is parsed once (and
// mustache.js caches it), the data parsed once, then rendered repeatedly for
// at least SECONDS of CPU time; "small" rounds are 100000 renders over the data's items;
// "model" rounds render once per item of the data's models, with the context
// stack [data, item] (a Mustache.Context whose parent is the data).
// Escaping is off, as for generated code. Prints "bytes seconds renders".
'use strict';
const fs = require('fs');
const Mustache = require('mustache');

const [tplPath, dataPath, mode, secs, outPath] = process.argv.slice(2);
const template = fs.readFileSync(tplPath, 'utf8');
const data = JSON.parse(fs.readFileSync(dataPath, 'utf8'));
const minSeconds = Number(secs);
Mustache.escape = (s) => s;
Mustache.parse(template);

let bytes = 0;
let renders = 0;
let first = [];
// Process CPU time (user + system), as the C side measures.
const cpu = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1e6; };
const start = cpu();
let elapsed = 0;
for (let round = 0; elapsed < minSeconds || round === 0; round++) {
  if (mode === 'small') {
    const items = data.items;
    for (let i = 0; i < 100000; i++) {
      const s = Mustache.render(template, items[i % items.length]);
      bytes += s.length; // the output is ASCII
      if (round === 0) first.push(s);
    }
    renders += 100000;
  } else if (mode === 'model') {
    const root = new Mustache.Context(data);
    for (const m of data.models) {
      const s = Mustache.render(template, new Mustache.Context(m, root));
      bytes += Buffer.byteLength(s);
      renders++;
      if (round === 0) first.push(s);
    }
  } else {
    const s = Mustache.render(template, data);
    bytes += s.length;
    renders++;
    if (round === 0) first.push(s);
  }
  elapsed = cpu() - start;
}
fs.writeFileSync(outPath, first.join(''));
console.log(`${bytes} ${elapsed.toFixed(6)} ${renders}`);
