/* Host harness for the generated C decode (test/detect-boxes.test.ts): reads the int8 heads from
 * files, runs codenet_decode and prints one box a line, every number exactly (%.17g):
 *   decode_host hm.bin wh.bin reg.bin threshold max_boxes
 *   -> cls cell code x0 y0 x1 y1 score */
#include "codenet_accel.h"

#include <stdio.h>
#include <stdlib.h>

static int8_t hm[CODENET_HM_H * CODENET_HM_W * CODENET_NUM_CLASSES], wh[CODENET_HM_H * CODENET_HM_W * 2], reg[CODENET_HM_H * CODENET_HM_W * 2];

static void slurp(const char *path, void *dst, size_t n) {
  FILE *f = fopen(path, "rb");
  if (!f || fread(dst, 1, n, f) != n) { fprintf(stderr, "decode_host: cannot read %zu bytes of %s\n", n, path); exit(1); }
  fclose(f);
}

int main(int argc, char **argv) {
  if (argc != 6) { fprintf(stderr, "usage: decode_host hm.bin wh.bin reg.bin threshold max_boxes\n"); return 2; }
  slurp(argv[1], hm, sizeof hm);
  slurp(argv[2], wh, sizeof wh);
  slurp(argv[3], reg, sizeof reg);
  int max = atoi(argv[5]);
  codenet_box *boxes = malloc(sizeof(codenet_box) * (size_t)(max > 0 ? max : 1));
  int n = codenet_decode(hm, wh, reg, strtod(argv[4], NULL), boxes, max);
  for (int k = 0; k < n; k++)
    printf("%d %d %d %.17g %.17g %.17g %.17g %.17g\n", boxes[k].cls, boxes[k].cell, boxes[k].code, boxes[k].x0, boxes[k].y0, boxes[k].x1, boxes[k].y1, (double)boxes[k].score);
  free(boxes);
  return 0;
}
