/* The generated C driver on the Verilator model (test/driver-sim.test.ts): sw/codenet_accel.c built
 * with -DCODENET_SIM and linked with libcodenet_sim.so (sim/driver_sim.cpp) runs a whole frame
 * through its own API, as a program on the board would.
 *   driver_sim_main memory.bin relocs.bin input_codes.bin out_dir
 * Writes out_dir/out<i>.bin (output i, HWC int8, read by codenet_read_tensor) and, when the model
 * has CenterNet heads, out_dir/boxes.txt (codenet_decode, threshold 0.1, one box a line); prints
 * one JSON line: the counters (codenet_counter) and what the simulation saw since START. */
#include "codenet_accel.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Also in libcodenet_sim.so, for the checks of the counters. */
void codenet_sim_stats(void *sim, uint64_t *cycles, uint64_t *since_start, uint64_t *bytes_read, uint64_t *bytes_written);

#define IMAGE_PHYS 0x30000000ull /* not the link base: codenet_load_image must relocate */

#define HOST_IO_NAME "driver_sim_main"
#include "host_io.h"

int main(int argc, char **argv) {
  if (argc != 5) die("usage: memory.bin relocs.bin input_codes.bin out_dir");
  codenet_accel a;
  if (codenet_open(&a, NULL, IMAGE_PHYS) != 0) die("codenet_open failed");
  if (codenet_load_image(&a, argv[1], argv[2]) != 0) die("codenet_load_image failed");
  static int8_t codes[CODENET_INPUT_H * CODENET_INPUT_W * CODENET_INPUT_C];
  slurp(argv[3], codes, sizeof codes);
  codenet_write_input(&a, codes);
  if (codenet_run(&a, 3600u * 1000u) != 0) die("codenet_run failed");
  uint64_t cycles, since_start, bytes_read, bytes_written;
  codenet_sim_stats(a.sim, &cycles, &since_start, &bytes_read, &bytes_written);

  char path[4096];
  int8_t *outs[CODENET_NUM_OUTPUTS];
  for (unsigned i = 0; i < CODENET_NUM_OUTPUTS; i++) {
    const codenet_tensor *t = &codenet_outputs[i];
    size_t n = (size_t)t->h * t->w * t->c;
    outs[i] = malloc(n);
    if (!outs[i]) die("out of memory");
    codenet_read_tensor(&a, t, outs[i]);
    snprintf(path, sizeof path, "%s/out%u.bin", argv[4], i);
    spill(path, outs[i], n);
  }
#ifdef CODENET_HAS_HEADS
  static codenet_box boxes[100];
  int nb = codenet_decode(outs[CODENET_HM_OUTPUT], outs[CODENET_WH_OUTPUT], outs[CODENET_REG_OUTPUT], 0.1, boxes, 100);
  snprintf(path, sizeof path, "%s/boxes.txt", argv[4]);
  FILE *bf = fopen(path, "w");
  if (!bf) die(path);
  for (int i = 0; i < nb; i++) fprintf(bf, "%.17g %.17g %.17g %.17g %d %.17g\n", boxes[i].x0, boxes[i].y0, boxes[i].x1, boxes[i].y1, boxes[i].cls, (double)boxes[i].score);
  fclose(bf);
#endif

  printf("{\"counters\":[");
  for (unsigned k = 0; k < CODENET_NUM_COUNTERS; k++) printf("%s%" PRIu64, k ? "," : "", codenet_counter(&a, k));
  printf("],\"status\":%u,\"sinceStart\":%" PRIu64 ",\"ddrBytesRead\":%" PRIu64 ",\"ddrBytesWritten\":%" PRIu64 ",\"cycles\":%" PRIu64 "}\n",
         (unsigned)codenet_sim_reg_read(a.sim, CODENET_REG_STATUS), since_start, bytes_read, bytes_written, cycles);
  for (unsigned i = 0; i < CODENET_NUM_OUTPUTS; i++) free(outs[i]);
  codenet_close(&a);
  return 0;
}
