/* A stand-in for bcryptprimitives.dll under Wine 8, which lacks it. Since Rust 1.78, std
 * imports ProcessPrng from it, so every Rust test binary fails to start without it.
 * Built by .ci/windows.sh with mingw (-shared) and copied into the Wine prefix's system32.
 * Not used on real Windows. */
#include <windows.h>

BOOLEAN WINAPI SystemFunction036(PVOID buffer, ULONG length); /* advapi32's RtlGenRandom */

__declspec(dllexport) BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T len) {
    while (len > 0) {
        ULONG chunk = len > 0x40000000 ? 0x40000000 : (ULONG)len;
        if (!SystemFunction036(data, chunk)) return FALSE;
        data += chunk;
        len -= chunk;
    }
    return TRUE;
}
