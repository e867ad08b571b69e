import { z } from 'zod';
import { barChart } from '../report/svg.ts';
import type { LayerError } from './sqnr.ts';

/** <model>.sqnr.json: per-layer quantization error of `codenet quantize` (no timestamps). */
export const SqnrReportSchema = z.strictObject({
  format: z.literal('codenet-sqnr'),
  version: z.literal(1),
  model: z.string(),
  images: z.number().int().min(1),
  layers: z.array(z.strictObject({
    tensor: z.string(),
    op: z.string(),
    /** null: the dequantized codes equal the float activations exactly. */
    sqnrDb: z.number().nullable().optional(),
    dilationAgreement: z.number().min(0).max(1).optional(),
  })),
});
export type SqnrReport = z.infer<typeof SqnrReportSchema>;

export function sqnrReport(model: string, images: number, errs: LayerError[]): SqnrReport {
  return SqnrReportSchema.parse({
    format: 'codenet-sqnr', version: 1, model, images,
    layers: errs.map((e) => ({
      tensor: e.tensor, op: e.op,
      ...(e.sqnrDb !== undefined ? { sqnrDb: Number.isFinite(e.sqnrDb) ? Number(e.sqnrDb.toFixed(2)) : null } : {}),
      ...(e.dilationAgreement !== undefined ? { dilationAgreement: Number(e.dilationAgreement.toFixed(4)) } : {}),
    })),
  });
}

/** Bar chart of SQNR per layer with weights (the layers that quantize), so a user sees which one hurts. */
export function sqnrSvg(r: SqnrReport): string {
  const bars = r.layers.filter((l) => l.sqnrDb !== undefined && !['split', 'concat', 'shuffle', 'upsample', 'maxpool'].includes(l.op))
    .map((l) => ({ label: l.tensor, values: [l.sqnrDb === null ? 60 : Math.max(0, l.sqnrDb!)] }));
  return barChart(`SQNR per layer (dB, float vs W4A8 golden model) of ${r.model}`, ['SQNR dB'], bars);
}
