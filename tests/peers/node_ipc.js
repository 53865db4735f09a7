// Node's IPC channel as a child of a Rust parent (tests/interop_node.rs).
// The channel is the socket on NODE_CHANNEL_FD, serialization 'json': newline-delimited JSON.
// Node sends one greeting of its own, then echoes every message with process.send.
'use strict';
if (typeof process.send !== 'function') {
  console.error('no IPC channel: NODE_CHANNEL_FD is not set');
  process.exit(2);
}
process.send({ hello: 'from node', text: 'h\u00e9llo \u2713 \u{1F680}', n: [1, 2.5, -3] });
process.on('message', (m) => process.send(m));
// When the parent closes its end, 'disconnect' fires and nothing keeps the loop alive.
