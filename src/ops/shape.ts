/**
 * The output-size formula of codenet's 3x3 windows, in one place (a leaf module without imports:
 * any module can use it without loading the op registry). A 3x3 window at stride s with one pixel
 * of padding on each side (the stem, depthwise convs, the max pool, a stride-2 subsample) gives
 * this many output rows (columns) for d input rows; a depthwise conv at dilation d pads d pixels,
 * which gives the same; a 1x1 conv is the case s = 1 (d rows).
 */
export const windowOut = (d: number, s: number): number => Math.floor((d - 1) / s) + 1;
