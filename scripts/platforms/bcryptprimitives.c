/*
 * bcryptprimitives.dll for Wine 8, which does not have it.
 *
 * Rust's std (1.78 and later) imports ProcessPrng from bcryptprimitives.dll on Windows, for
 * HashMap seeds and the like. Windows 10 and later ship that DLL; Wine 8.0 does not, so the
 * addon fails to load there ("Module not found", ERR_DLOPEN_FAILED). scripts/platforms/wine.js
 * builds this one-function stand-in with mingw and copies it into the Wine prefix's system32.
 * It is used only by the emulated test run: nothing of it ships.
 *
 * ProcessPrng fills the buffer from the system's preferred RNG, as the real one does, and
 * (like the real one) is documented to always succeed, so a failure ends the process rather
 * than handing out bytes that are not random.
 */
#include <windows.h>
#include <bcrypt.h>

__declspec(dllexport) BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T len) {
  while (len > 0) {
    /* BCryptGenRandom takes a ULONG length; SIZE_T may be larger. */
    ULONG chunk = len > 0xFFFFFFFFu ? 0xFFFFFFFFu : (ULONG)len;
    if (!BCRYPT_SUCCESS(BCryptGenRandom(NULL, data, chunk, BCRYPT_USE_SYSTEM_PREFERRED_RNG))) {
      ExitProcess(0xC0000001u);
    }
    data += chunk;
    len -= chunk;
  }
  return TRUE;
}
