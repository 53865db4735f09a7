// JSON-RPC over stdin/stdout with vscode-jsonrpc (StreamMessageReader/StreamMessageWriter and
// a MessageConnection, as VS Code's language clients and servers use them), for
// tests/interop_lsp.rs. Sends one notification of its own, then answers every 'echo' request
// {text} with {text, len, crc32} of the text's UTF-8 bytes; exits when stdin ends.
'use strict';
const zlib = require('zlib');
const { StreamMessageReader, StreamMessageWriter, createMessageConnection } = require('vscode-jsonrpc/node');

const conn = createMessageConnection(new StreamMessageReader(process.stdin), new StreamMessageWriter(process.stdout));
conn.onRequest('echo', (params) => {
  const data = Buffer.from(params.text, 'utf8');
  return { text: params.text, len: data.length, crc32: zlib.crc32(data) };
});
conn.onClose(() => process.exit(0));
conn.onError(([err]) => { console.error('vscode-jsonrpc error:', err); process.exit(3); });
conn.listen();
conn.sendNotification('hello', { text: 'from vscode-jsonrpc h\u00e9llo \u2713 \u{1F680}' });
