// Node as the parent of a Rust child over its IPC channel with serialization 'advanced'
// (tests/interop_node_advanced.rs). Usage: node node_advanced_parent.js PROGRAM ARGS...
// The child gets the channel on fd 3 (NODE_CHANNEL_FD=3, NODE_CHANNEL_SERIALIZATION_MODE=
// advanced) and must echo every message's bytes back unchanged. We check that what comes
// back is the same value: a Map, a Buffer, a BigInt and more, each as Node itself would
// receive it from a Node child (v8.deserialize(v8.serialize(value))).
'use strict';
const { spawn } = require('child_process');
const assert = require('assert');
const v8 = require('v8');

const big = Buffer.alloc(1 << 20);
for (let i = 0; i < big.length; i++) big[i] = (i * 7 + 3) & 0xff;
const messages = [
  'hi', // first: the child checks its bytes against SPEC.md's example
  new Map([['k', 'v'], [1, { nested: [1, 2, 3] }], ['set', new Set([1, 'two'])]]),
  Buffer.from([0, 1, 2, 0xfe, 0xff]),
  [2n ** 70n + 1n], // a bare BigInt is not a message process.send takes: one in an array
  { map: new Map([['answer', 42n]]), buf: Buffer.from('h\u00e9llo'), big: -(2n ** 64n), date: new Date(0), re: /a+b/g },
  big,
  [undefined, null, NaN, -0, Infinity, 'end'],
];

const child = spawn(process.argv[2], process.argv.slice(3), {
  stdio: ['inherit', 'inherit', 'inherit', 'ipc'],
  serialization: 'advanced',
});
let got = 0;
child.on('message', (m) => {
  const want = v8.deserialize(v8.serialize(messages[got]));
  assert.deepStrictEqual(m, want, `echo of message ${got}`);
  got++;
  if (got === messages.length) {
    // Specific checks beyond deep equality: the types made the trip.
    const [map, buf, bigint, obj] = [1, 2, 3, 4].map((i) => messages[i]);
    assert.ok(map instanceof Map && map.get(1).nested[2] === 3);
    assert.ok(typeof bigint[0] === 'bigint' && bigint[0] === 2n ** 70n + 1n);
    assert.ok(buf.equals(Buffer.from([0, 1, 2, 0xfe, 0xff])));
    assert.ok(obj.map.get('answer') === 42n);
    console.log(`\nnode verdict: ok ${got}`);
    child.disconnect();
  }
});
for (const m of messages) child.send(m);
child.on('exit', (code, signal) => {
  if (got !== messages.length) {
    console.error(`child exited (${code}, ${signal}) after ${got} echoes`);
    process.exit(1);
  }
  process.exit(code === 0 ? 0 : 1);
});
