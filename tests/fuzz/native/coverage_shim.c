/*
 * Coverage glue between gcc's sanitizers and atheris's libFuzzer (docs/fuzzing.md).
 *
 * Preloaded before gcc's libasan by `make asan` runs (bench/fuzz_campaign.py):
 *
 * 1. libasan defines the __sanitizer_cov_* callbacks too. Preloaded, its
 *    definitions win the symbol lookup, so atheris's libFuzzer would register
 *    its counters (Python coverage) with libasan and see no coverage at all.
 *    This library defines them first and forwards each call to the libFuzzer
 *    linked into atheris (a tail call, so libFuzzer sees the caller's PC).
 *
 * 2. gcc has no libFuzzer-style edge counters, but it has
 *    -fsanitize-coverage=trace-pc: a call to __sanitizer_cov_trace_pc() in
 *    every basic block. The kernels of the ASan build are compiled with it;
 *    each call bumps an 8-bit counter chosen by a hash of the caller's address,
 *    and fastcore_fuzzcov_register() hands those counters to libFuzzer. That
 *    gives the fuzzer (hashed) block coverage of the compiled kernels.
 */

#define _GNU_SOURCE
#include <dlfcn.h>
#include <link.h>
#include <stdint.h>
#include <string.h>

#define SLOTS (1u << 16)

static uint8_t counters[SLOTS];
/* libFuzzer's PC table: (pc, flags) pairs, one per counter. */
static uintptr_t pc_table[2 * SLOTS];
static void *libfuzzer;

static int find_core(struct dl_phdr_info *info, size_t size, void *data) {
    (void)size;
    if (info->dlpi_name && strstr(info->dlpi_name, "atheris/core_with_libfuzzer")) {
        *(void **)data = dlopen(info->dlpi_name, RTLD_NOLOAD | RTLD_LAZY);
        return 1;
    }
    return 0;
}

static void *real(const char *name) {
    if (!libfuzzer) {
        dl_iterate_phdr(find_core, &libfuzzer);
        if (!libfuzzer) return NULL;
    }
    return dlsym(libfuzzer, name);
}

#define FORWARD(name, params, args)                      \
    void name params {                                   \
        static void (*target) params;                    \
        if (!target) target = (void (*) params)real(#name); \
        if (target) target args;                         \
    }

FORWARD(__sanitizer_cov_8bit_counters_init, (uint8_t *a, uint8_t *b), (a, b))
FORWARD(__sanitizer_cov_pcs_init, (const uintptr_t *a, const uintptr_t *b), (a, b))
FORWARD(__sanitizer_cov_bool_flag_init, (uint8_t *a, uint8_t *b), (a, b))
FORWARD(__sanitizer_cov_trace_cmp1, (uint8_t a, uint8_t b), (a, b))
FORWARD(__sanitizer_cov_trace_cmp2, (uint16_t a, uint16_t b), (a, b))
FORWARD(__sanitizer_cov_trace_cmp4, (uint32_t a, uint32_t b), (a, b))
FORWARD(__sanitizer_cov_trace_cmp8, (uint64_t a, uint64_t b), (a, b))
FORWARD(__sanitizer_cov_trace_const_cmp1, (uint8_t a, uint8_t b), (a, b))
FORWARD(__sanitizer_cov_trace_const_cmp2, (uint16_t a, uint16_t b), (a, b))
FORWARD(__sanitizer_cov_trace_const_cmp4, (uint32_t a, uint32_t b), (a, b))
FORWARD(__sanitizer_cov_trace_const_cmp8, (uint64_t a, uint64_t b), (a, b))
FORWARD(__sanitizer_cov_trace_switch, (uint64_t a, uint64_t *b), (a, b))
FORWARD(__sanitizer_cov_trace_div4, (uint32_t a), (a))
FORWARD(__sanitizer_cov_trace_div8, (uint64_t a), (a))
FORWARD(__sanitizer_cov_trace_gep, (uintptr_t a), (a))
FORWARD(__sanitizer_cov_trace_pc_indir, (uintptr_t a), (a))

void __sanitizer_cov_trace_pc(void) {
    uint64_t pc = (uint64_t)(uintptr_t)__builtin_return_address(0);
    counters[(pc * 0x9E3779B97F4A7C15ull) >> 48]++;
}

/* Called once from Python (tests/fuzz/_support.py) before fuzzing starts. */
int fastcore_fuzzcov_register(void) {
    void (*counters_init)(uint8_t *, uint8_t *) =
        (void (*)(uint8_t *, uint8_t *))real("__sanitizer_cov_8bit_counters_init");
    void (*pcs_init)(const uintptr_t *, const uintptr_t *) =
        (void (*)(const uintptr_t *, const uintptr_t *))real("__sanitizer_cov_pcs_init");
    if (!counters_init || !pcs_init) return -1;
    for (uintptr_t i = 0; i < SLOTS; i++) {
        /* Fake, distinct PCs: libFuzzer only counts and prints them. */
        pc_table[2 * i] = (uintptr_t)counters + i;
        pc_table[2 * i + 1] = 0;
    }
    counters_init(counters, counters + SLOTS);
    pcs_init(pc_table, pc_table + 2 * SLOTS);
    return 0;
}
