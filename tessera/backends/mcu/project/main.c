/* Tessera harness: read the inputs (raw, in input order) from a file, run the model, write the
 * outputs (raw, in output order). Host: main [inputs.bin [outputs.bin]]. MCU: the same fixed names
 * through semihosting. With -DTESSERA_PROFILE it also writes profile.bin: instructions per step. */
#include "model.h"
#include "tessera_io.h"

#ifdef TESSERA_PROFILE
static uint64_t profile_marks[TESSERA_MODEL_NUM_STEPS + 1];
void tessera_profile_hook(int step) { profile_marks[step] = tio_clock(); }
#endif

#ifdef TESSERA_MODEL_CALLER_INPUTS
/* The application's input buffers: the model reads them in place (they are not in its arena). */
static union { uint8_t bytes[TESSERA_MODEL_CALLER_INPUT_BYTES]; uint64_t align; } harness_inputs;

static void harness_set_inputs(void) {
    size_t at = 0;
    for (int i = 0; i < TESSERA_MODEL_NUM_INPUTS; i++) {
        tessera_model_set_input(i, harness_inputs.bytes + at);
        at += (tessera_model_input_bytes(i) + 15u) & ~(size_t)15u;
    }
}
#endif

static int harness(const char *in_path, const char *out_path) {
#ifdef TESSERA_MODEL_CALLER_INPUTS
    harness_set_inputs();
#endif
    int f = tio_open(in_path, 0);
    if (f < 0) {
        tio_print("tessera: cannot open the inputs file ");
        tio_print(in_path);
        tio_print(": write it first, the raw bytes of every input in input order (README.md, Tensors)\n");
        return 2;
    }
    for (int i = 0; i < TESSERA_MODEL_NUM_INPUTS; i++) {
        if (tio_read(f, tessera_model_input(i), tessera_model_input_bytes(i))) {
            tio_close(f);
            tio_print("tessera: the inputs file ");
            tio_print(in_path);
            tio_print(" is too short: it needs the raw bytes of every input in input order (README.md)\n");
            return 3;
        }
    }
    tio_close(f);
    tio_clock_start();
    uint64_t start = tio_clock();
    int status = tessera_model_run();
    uint64_t spent = tio_clock() - start;
    if (status != 0) return tio_print("tessera: the model failed\n"), 4;
    f = tio_open(out_path, 1);
    if (f < 0) return tio_print("tessera: cannot open the outputs file\n"), 5;
    for (int i = 0; i < TESSERA_MODEL_NUM_OUTPUTS; i++) {
        if (tio_write(f, tessera_model_output(i), tessera_model_output_bytes(i))) return tio_close(f), 6;
    }
    tio_write(f, &spent, sizeof spent);
#ifdef TESSERA_PROFILE
    tio_write(f, profile_marks, sizeof profile_marks);
#endif
    tio_close(f);
    return 0;
}

#ifdef TESSERA_HOSTED
int main(int argc, char **argv) {
    return harness(argc > 1 ? argv[1] : "inputs.bin", argc > 2 ? argv[2] : "outputs.bin");
}
#else
int main(void) { return harness("inputs.bin", "outputs.bin"); }
#endif
