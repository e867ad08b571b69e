/* Host harness for the generated C driver (test/gen-zynq.test.ts): runs codenet_load_image,
 * codenet_write_input and codenet_read_tensor on a plain buffer instead of the board's
 * memory, so the tests can check the generated address tables against the TypeScript compiler.
 *   driver_host memory.bin relocs.bin input_codes.bin after_run.bin out_dir
 * Writes out_dir/loaded.bin (the image after load + relocation + input) and out_dir/<output>.bin. */
#include "codenet_accel.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define HOST_IO_NAME "driver_host"
#include "host_io.h"

int main(int argc, char **argv) {
  if (argc != 6) die("usage: memory.bin relocs.bin input_codes.bin after_run.bin out_dir");
  codenet_accel a;
  memset(&a, 0, sizeof a);
  a.image = calloc(1, CODENET_IMAGE_BYTES);
  a.image_phys = 0x20000000ull; /* a different base from the link base: the relocation must move it */
  if (!a.image) die("out of memory");
  if (codenet_load_image(&a, argv[1], argv[2]) != 0) die("codenet_load_image failed");
  static int8_t codes[CODENET_INPUT_H * CODENET_INPUT_W * CODENET_INPUT_C];
  slurp(argv[3], codes, sizeof codes);
  codenet_write_input(&a, codes);
  char path[4096];
  snprintf(path, sizeof path, "%s/loaded.bin", argv[5]);
  spill(path, a.image, CODENET_IMAGE_BYTES);
  slurp(argv[4], a.image, CODENET_IMAGE_BYTES); /* memory as the accelerator leaves it */
  for (unsigned i = 0; i < CODENET_NUM_OUTPUTS; i++) {
    const codenet_tensor *t = &codenet_outputs[i];
    size_t n = (size_t)t->h * t->w * t->c;
    int8_t *buf = malloc(n);
    if (!buf) die("out of memory");
    codenet_read_tensor(&a, t, buf);
    snprintf(path, sizeof path, "%s/%s.bin", argv[5], t->name);
    spill(path, buf, n);
    free(buf);
  }
  free(a.image);
  return 0;
}
