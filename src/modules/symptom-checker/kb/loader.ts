// Reads the knowledge base JSON files from disk (once, lazily) and validates them.
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ComplaintSet, Condition, EvidenceGroup, EvidenceItem, KnowledgeBase, KnowledgeBaseMeta, RedFlagRule, Source } from './types.js';
import { validateKnowledgeBase } from './validate.js';

export const KB_DIR = fileURLToPath(new URL('.', import.meta.url));

function readJson<T>(file: string): T {
  return JSON.parse(readFileSync(file, 'utf8')) as T;
}

/** Reads a knowledge base from a directory laid out like this one. Does not validate. */
export function readKnowledgeBase(dir: string = KB_DIR): KnowledgeBase {
  const meta = readJson<KnowledgeBaseMeta>(join(dir, 'meta.json'));
  const ev = readJson<{ evidence: EvidenceItem[]; groups: EvidenceGroup[] }>(join(dir, 'evidence.json'));
  // Triage discriminators (complaints.json) bring their own evidence and sources in separate files.
  const optional = <T>(file: string, fallback: T): T => (existsSync(join(dir, file)) ? readJson<T>(join(dir, file)) : fallback);
  const triageEvidence = optional<{ evidence: EvidenceItem[] }>('evidence-triage.json', { evidence: [] }).evidence;
  const complaints = optional<ComplaintSet>('complaints.json', { general: [], complaints: [] });
  const sources = [
    ...readJson<{ sources: Source[] }>(join(dir, 'sources.json')).sources,
    ...optional<{ sources: Source[] }>('sources-triage.json', { sources: [] }).sources,
  ];
  const rules = readJson<{ rules: RedFlagRule[] }>(join(dir, 'red-flag-rules.json')).rules;
  const conditions: Condition[] = [];
  const condDir = join(dir, 'conditions');
  for (const file of readdirSync(condDir)
    .filter((f) => f.endsWith('.json'))
    .sort()) {
    const data = readJson<{ conditions: Condition[] }>(join(condDir, file));
    conditions.push(...data.conditions);
  }
  return { meta, evidence: [...ev.evidence, ...triageEvidence], groups: ev.groups, conditions, sources, red_flag_rules: rules, complaints };
}

let cached: KnowledgeBase | undefined;

/** The repository knowledge base, validated; throws if it is invalid (a build error, not user input). */
export function getKnowledgeBase(): KnowledgeBase {
  if (!cached) {
    const kb = readKnowledgeBase();
    const result = validateKnowledgeBase(kb);
    if (!result.ok) {
      throw new Error(`symptom-checker knowledge base is invalid:\n${result.errors.slice(0, 20).join('\n')}`);
    }
    cached = kb;
  }
  return cached;
}
