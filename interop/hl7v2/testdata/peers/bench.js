// Parses the messages of a JSON array file N times with one peer parser,
// reading the fields BenchmarkParse reads (PID-3.1, PID-5.1, OBX-3.1,
// OBX-5), and prints the wall time and the process CPU time of the timed
// loop in nanoseconds: {"ns": …, "cpuns": …}.
//
//   node bench.js medplum|simple-hl7 MESSAGES.json N
'use strict';
const fs = require('fs');

const [lib, file, count] = process.argv.slice(2);
const msgs = JSON.parse(fs.readFileSync(file, 'utf8'));
const n = Number(count);

let parse;
if (lib === 'medplum') {
  const { Hl7Message } = require('@medplum/core');
  parse = (text) => {
    const m = Hl7Message.parse(text);
    const pid = m.getSegment('PID');
    const obx = m.getSegment('OBX');
    return [pid?.getField(3)?.getComponent(1), pid?.getField(5)?.getComponent(1),
      obx?.getField(3)?.getComponent(1), obx?.getField(5)?.toString()];
  };
} else if (lib === 'simple-hl7') {
  const hl7 = require('simple-hl7');
  const parser = new hl7.Parser();
  parse = (text) => {
    const m = parser.parse(text);
    const pid = m.getSegment('PID');
    const obx = m.getSegment('OBX');
    return [pid && pid.getComponent(3, 1), pid && pid.getComponent(5, 1),
      obx && obx.getComponent(3, 1), obx && obx.getField(5)];
  };
} else {
  console.error('unknown parser ' + lib);
  process.exit(2);
}

let sink = 0;
for (let i = 0; i < Math.min(n, 2000); i++) sink += parse(msgs[i % msgs.length]).length; // warm the JIT
const cpu0 = process.cpuUsage();
const t0 = process.hrtime.bigint();
for (let i = 0; i < n; i++) sink += parse(msgs[i % msgs.length]).length;
const ns = Number(process.hrtime.bigint() - t0);
const cpu = process.cpuUsage(cpu0);
console.log(JSON.stringify({ ns, cpuns: (cpu.user + cpu.system) * 1000, sink }));
