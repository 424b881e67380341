/**
 * Evaluation of the emergency detector over `eval/messages.json`
 * (`[{ text, expected_emergency, category?, note? }]`, written before the detector).
 *
 * recall = detected positives / positives; falsePositiveRate = flagged negatives / negatives.
 * Goal (issue 7): recall 1.0 with a false-positive rate ≤ 0.05.
 *
 * Run: `npx tsx src/modules/emergency/eval.ts [file.json]` prints the figures and the misses (default
 * eval/messages.json; eval/probes-issue10.json holds the own-written probes of docs/EVALUATION.md).
 */
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { detectEmergency } from './detector.js';

export interface EmergencyEvalMessage {
  text: string;
  expected_emergency: boolean;
  category?: string;
  note?: string;
}

export interface EmergencyEvaluation {
  total: number;
  positives: number;
  negatives: number;
  recall: number;
  falsePositiveRate: number;
  falseNegatives: string[];
  falsePositives: string[];
}

export const EVAL_MESSAGES: readonly EmergencyEvalMessage[] = JSON.parse(
  readFileSync(new URL('./eval/messages.json', import.meta.url), 'utf8'),
) as EmergencyEvalMessage[];

export function evaluateEmergencyDetector(messages: readonly EmergencyEvalMessage[] = EVAL_MESSAGES): EmergencyEvaluation {
  let positives = 0;
  let negatives = 0;
  let truePositives = 0;
  const falseNegatives: string[] = [];
  const falsePositives: string[] = [];
  for (const m of messages) {
    const flagged = detectEmergency(m.text).is_emergency;
    if (m.expected_emergency) {
      positives++;
      if (flagged) truePositives++;
      else falseNegatives.push(m.text);
    } else {
      negatives++;
      if (flagged) falsePositives.push(m.text);
    }
  }
  return {
    total: messages.length,
    positives,
    negatives,
    recall: positives ? truePositives / positives : 1,
    falsePositiveRate: negatives ? falsePositives.length / negatives : 0,
    falseNegatives,
    falsePositives,
  };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  // Optional: another file of the same shape, e.g. eval/probes-issue10.json.
  const file = process.argv[2];
  const r = evaluateEmergencyDetector(file ? (JSON.parse(readFileSync(file, 'utf8')) as EmergencyEvalMessage[]) : EVAL_MESSAGES);
  console.log(
    `emergency detector: ${r.total} messages (${r.positives} emergencies, ${r.negatives} non-emergencies)\n` +
      `recall ${(r.recall * 100).toFixed(1)} %  false-positive rate ${(r.falsePositiveRate * 100).toFixed(1)} %`,
  );
  for (const t of r.falseNegatives) console.log(`  MISSED      ${t}`);
  for (const t of r.falsePositives) console.log(`  FALSE ALARM ${t}`);
}
