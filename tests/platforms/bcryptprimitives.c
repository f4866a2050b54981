/* For the Windows checks under Wine only (.ci/cross.sh builds it and puts it beside the test's
 * copy of the exe); never part of the product.
 *
 * Rust's standard library on Windows takes its random numbers from ProcessPrng in
 * bcryptprimitives.dll, which Debian's Wine 8 does not have. This stand-in exports that one
 * function on top of advapi32's RtlGenRandom (SystemFunction036), which Wine has. */
#include <windows.h>
#include <ntsecapi.h>

__declspec(dllexport) BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T len) {
    while (len > 0) {
        ULONG chunk = len > 0x40000000 ? 0x40000000 : (ULONG)len;
        if (!RtlGenRandom(data, chunk)) {
            return FALSE;
        }
        data += chunk;
        len -= chunk;
    }
    return TRUE;
}
