/* A named pipe server made of raw Win32 calls (not pipeframe), for the CLI tests under Wine
 * (cli/tests/windows_cli.rs). Built by .ci/windows.sh with mingw into
 * target/windows-peers/raw_pipe_server.exe.
 *
 *   raw_pipe_server.exe NAME message|bytes SIZE...
 *
 * Creates \\.\pipe\NAME (one instance, PIPE_TYPE_MESSAGE or PIPE_TYPE_BYTE), prints "ready" on
 * stdout, accepts one client, then writes one frame per SIZE before reading anything: frame i
 * holds SIZE bytes of the letter 'a' + i. In message mode a frame is one WriteFile (one pipe
 * message); in byte mode it is a 4-byte little-endian length (pipeframe's lp32le, .NET's
 * BinaryWriter) followed by the payload. A SIZE written DECLARED/SENT writes a header that
 * declares DECLARED bytes and then only SENT of them (byte mode: a frame left unfinished).
 * Then it reads until the client closes and prints what it read: in message mode "msg N TEXT"
 * per message, in byte mode "bytes HEX" once. Exit status 0, or 1 with the failing call on
 * stderr. */
#include <windows.h>
#include <fcntl.h>
#include <io.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int fail(const char *what) {
    fprintf(stderr, "raw_pipe_server: %s failed: error %lu\n", what, GetLastError());
    return 1;
}

static int write_all(HANDLE h, const char *p, DWORD len) {
    while (len > 0) {
        DWORD n = 0;
        if (!WriteFile(h, p, len, &n, NULL)) return 0;
        p += n;
        len -= n;
    }
    return 1;
}

int main(int argc, char **argv) {
    if (argc < 3 || (strcmp(argv[2], "message") != 0 && strcmp(argv[2], "bytes") != 0)) {
        fprintf(stderr, "usage: raw_pipe_server NAME message|bytes SIZE...\n");
        return 2;
    }
    _setmode(_fileno(stdout), _O_BINARY); /* "\n", not "\r\n" */
    int message = strcmp(argv[2], "message") == 0;
    char path[512];
    snprintf(path, sizeof path, "\\\\.\\pipe\\%s", argv[1]);
    DWORD type = message ? (PIPE_TYPE_MESSAGE | PIPE_READMODE_MESSAGE) : PIPE_TYPE_BYTE;
    HANDLE h = CreateNamedPipeA(path, PIPE_ACCESS_DUPLEX, type | PIPE_WAIT, 1, 65536, 65536, 0,
                                NULL);
    if (h == INVALID_HANDLE_VALUE) return fail("CreateNamedPipe");
    printf("ready\n");
    fflush(stdout);
    if (!ConnectNamedPipe(h, NULL) && GetLastError() != ERROR_PIPE_CONNECTED)
        return fail("ConnectNamedPipe");

    for (int i = 3; i < argc; i++) {
        unsigned long declared = strtoul(argv[i], NULL, 10), sent = declared;
        const char *slash = strchr(argv[i], '/');
        if (slash) sent = strtoul(slash + 1, NULL, 10);
        char *buf = malloc(sent + 4);
        if (!buf) return fail("malloc");
        DWORD off = 0;
        if (!message) {
            for (int b = 0; b < 4; b++) buf[b] = (char)((declared >> (8 * b)) & 0xff);
            off = 4;
        }
        memset(buf + off, 'a' + (i - 3), sent);
        /* One WriteFile: in message mode, one message. */
        if (!write_all(h, buf, off + (DWORD)sent)) return fail("WriteFile");
        free(buf);
    }

    static char buf[1 << 20];
    DWORD have = 0;
    int messages = 0;
    for (;;) {
        DWORD n = 0;
        BOOL ok = ReadFile(h, buf + have, sizeof buf - have, &n, NULL);
        DWORD err = ok ? 0 : GetLastError();
        if (!ok && err != ERROR_MORE_DATA) {
            if (err == ERROR_BROKEN_PIPE || err == ERROR_PIPE_NOT_CONNECTED) break;
            return fail("ReadFile");
        }
        have += n;
        if (message && ok) {
            printf("msg %d %.*s\n", ++messages, (int)have, buf);
            fflush(stdout);
            have = 0;
        }
    }
    if (!message) {
        printf("bytes ");
        for (DWORD i = 0; i < have; i++) printf("%02x", (unsigned char)buf[i]);
        printf("\n");
    }
    fflush(stdout);
    CloseHandle(h);
    return 0;
}
