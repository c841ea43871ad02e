// Parses an X12 file with node-x12 the given number of times and prints,
// as JSON, the nanoseconds and the claims (CLM segments) of each pass. Used
// by interop/x12's BenchmarkNodeX12Read837.
'use strict';
const fs = require('fs');
const { X12Parser } = require('node-x12');

const [file, runs] = [process.argv[2], Number(process.argv[3] || 1)];
const edi = fs.readFileSync(file, 'utf8');
const out = [];
for (let i = 0; i < runs; i++) {
  const start = process.hrtime.bigint();
  const ic = new X12Parser(true).parse(edi);
  let claims = 0;
  for (const g of ic.functionalGroups) {
    for (const t of g.transactions) {
      for (const s of t.segments) {
        if (s.tag === 'CLM') claims++;
      }
    }
  }
  out.push({ ns: Number(process.hrtime.bigint() - start), claims });
}
process.stdout.write(JSON.stringify(out) + '\n');
