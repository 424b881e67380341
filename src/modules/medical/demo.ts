import type { AppContext } from '../../platform/context.js';

/** Filled in with the reports module (demo record, prescription and lab report). */
export async function seedClinicalDemo(_ctx: AppContext): Promise<string[]> {
  return [];
}
