// vscode-jsonrpc as the articles' StreamJsonRpc calculator peer, on a Unix socket (a named
// pipe's socket file):
//   node jsonrpc_calculator.js server PATH      prints "listening"; Add(a, b) -> a + b
//   node jsonrpc_calculator.js client PATH A B  prints the result of Add(A, B)
'use strict';
const net = require('net');
const rpc = require('vscode-jsonrpc/node');

const [mode, path, a, b] = process.argv.slice(2);

function attach(socket) {
    return rpc.createMessageConnection(
        new rpc.SocketMessageReader(socket),
        new rpc.SocketMessageWriter(socket));
}

if (mode === 'server') {
    const server = net.createServer((socket) => {
        const connection = attach(socket);
        connection.onRequest('Add', (x, y) => x + y);
        connection.onClose(() => connection.dispose());
        connection.listen();
    });
    server.listen(path, () => console.log('listening'));
} else {
    const socket = net.connect(path, async () => {
        const connection = attach(socket);
        connection.listen();
        try {
            const result = await connection.sendRequest('Add', Number(a), Number(b));
            console.log(String(result));
        } catch (e) {
            console.error(`Add failed: ${e.message}`);
            process.exitCode = 1;
        }
        connection.dispose();
        socket.end();
    });
}
