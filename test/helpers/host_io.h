/* File helpers of the C test harnesses (driver_host.c, driver_sim_main.c): any failure ends the
 * program with exit 1, naming HOST_IO_NAME and the path. */
#ifndef HOST_IO_H
#define HOST_IO_H

#include <stdio.h>
#include <stdlib.h>

static void die(const char *m) { fprintf(stderr, "%s: %s\n", HOST_IO_NAME, m); exit(1); }

static void slurp(const char *path, void *dst, size_t n) {
  FILE *f = fopen(path, "rb");
  if (!f || fread(dst, 1, n, f) != n) die(path);
  fclose(f);
}

static void spill(const char *path, const void *src, size_t n) {
  FILE *f = fopen(path, "wb");
  if (!f || fwrite(src, 1, n, f) != n) die(path);
  fclose(f);
}

#endif
