// libFuzzer's entry for programs with their own main (libclang_rt.fuzzer_no_main): scripts/fuzz
// links it into WarrenFuzz, whose main hands it the arguments and the function to fuzz.
#ifndef WARREN_CWARRENFUZZ_H
#define WARREN_CWARRENFUZZ_H

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerRunDriver(int *argc, char ***argv, int (*callback)(const uint8_t *data, size_t size));

#endif
