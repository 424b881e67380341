/**
 * A pluggable image classifier (DERMA_MODEL_PATH, docs/DERMA.md "Pluggable model"). When one
 * is configured its predictions lead the reply; the rule-based features and risk are always
 * computed beside it.
 */
export interface ModelPrediction {
  name: string;
  version: string;
  predictions: { label: string; probability: number }[];
}

export interface SkinModel {
  readonly name: string;
  readonly version: string;
  predict(imagePath: string): Promise<ModelPrediction>;
  close?(): Promise<void>;
}
