/**
 * Feedback learning: a bounded Dirichlet/Beta pseudo-count update. Pure functions only; a job
 * reads feedback rows, calls `applyFeedbackBatch`, and stores the returned adjustments (JSON).
 *
 * Priors. The knowledge-base priors π (normalised) are the mean of a Dirichlet with strength S
 * (`prior_strength`, default 10000 pseudo-cases). Confirmed outcomes add counts n_c:
 *     π'_c = (S·π_c + n_c) / (S + N),   factor_c = π'_c / π_c, clamped to [1/F, F] (F = 2).
 * Likelihoods. Each listed P(e | c) = p is the mean of a Beta(K·p, K·(1−p)) with K =
 * `likelihood_strength` (default 30). A confirmed case of c where e was answered adds to the
 * present/absent count (children only when their parent was present):
 *     p' = (K·p + n⁺) / (K + n⁺ + n⁻), then |logit p' − logit p| ≤ `max_logit_shift` (1.0).
 * Only feedback that names the actual condition (ideally confirmed by a clinician: `verified`)
 * teaches; `helpful` alone is recorded in the statistics but does not move the model (it would
 * only reinforce what the model already believes).
 *
 * Bounds on any one user: one vote per session (later feedback on the same session is ignored,
 * and a session is never applied twice across batches), one vote per user per condition, and at
 * most `max_votes_per_user` votes in total; a vote weighs 1 if verified by a clinician, 0.5
 * otherwise. So a single user moves a prior by at most max_votes/(S) of probability mass and any
 * likelihood by at most 1/(K+1) — and the clamps bound what everyone together can do.
 */
import { getKnowledgeBase } from './kb/loader.js';
import type { KnowledgeBase } from './kb/types.js';
import type { EvidenceMap } from './inference.js';
import { SymptomCheckerError } from './errors.js';

export interface LearningParams {
  prior_strength: number;
  likelihood_strength: number;
  max_prior_factor: number;
  max_logit_shift: number;
  max_votes_per_user: number;
  verified_weight: number;
  unverified_weight: number;
}

export const DEFAULT_LEARNING_PARAMS: LearningParams = {
  prior_strength: 10000,
  likelihood_strength: 30,
  max_prior_factor: 2,
  max_logit_shift: 1,
  max_votes_per_user: 5,
  verified_weight: 1,
  unverified_weight: 0.5,
};

export interface FeedbackRow {
  session_id: string;
  user_id: string;
  actual_condition?: string | null;
  helpful: boolean;
  /** Actual condition confirmed by a clinician. */
  verified?: boolean;
  rating?: number | null;
  /** The session's known evidence (InterviewState.evidence). */
  evidence: EvidenceMap;
}

export type RejectReason = 'duplicate_session' | 'no_actual_condition' | 'unknown_condition' | 'user_cap' | 'user_condition_cap' | 'malformed';

export interface ModelAdjustments {
  version: 1;
  kb_version: string;
  params: LearningParams;
  /** Multiplier on each condition's prior (only conditions with a factor ≠ 1). */
  prior_factor: Record<string, number>;
  /** Adjusted P(e | c) (only pairs that moved). */
  likelihood: Record<string, Record<string, number>>;
  counts: {
    total: number;
    condition: Record<string, number>;
    evidence: Record<string, Record<string, { present: number; absent: number }>>;
  };
  /** Votes used per user, and the conditions each user has voted for. */
  user_votes: Record<string, number>;
  user_conditions: Record<string, string[]>;
  applied_sessions: string[];
  stats: { accepted: number; helpful: number; not_helpful: number; rejected: Partial<Record<RejectReason, number>> };
}

export function emptyAdjustments(kb: KnowledgeBase = getKnowledgeBase(), params: Partial<LearningParams> = {}): ModelAdjustments {
  return {
    version: 1,
    kb_version: kb.meta.version,
    params: { ...DEFAULT_LEARNING_PARAMS, ...params },
    prior_factor: {},
    likelihood: {},
    counts: { total: 0, condition: {}, evidence: {} },
    user_votes: {},
    user_conditions: {},
    applied_sessions: [],
    stats: { accepted: 0, helpful: 0, not_helpful: 0, rejected: {} },
  };
}

const logit = (p: number) => Math.log(p / (1 - p));
const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));

/** Recomputes prior factors and likelihoods from the counts (pure). */
export function deriveAdjustments(kb: KnowledgeBase, adj: ModelAdjustments): Pick<ModelAdjustments, 'prior_factor' | 'likelihood'> {
  const { prior_strength: S, likelihood_strength: K, max_prior_factor: F, max_logit_shift: L } = adj.params;
  const totalPrior = kb.conditions.reduce((a, c) => a + c.prior, 0);
  const N = adj.counts.total;
  const prior_factor: Record<string, number> = {};
  const likelihood: Record<string, Record<string, number>> = {};
  if (N > 0) {
    for (const c of kb.conditions) {
      const pi = c.prior / totalPrior;
      const post = (S * pi + (adj.counts.condition[c.id] ?? 0)) / (S + N);
      const f = Math.min(F, Math.max(1 / F, post / pi));
      if (Math.abs(f - 1) > 1e-9) prior_factor[c.id] = f;
    }
  }
  for (const c of kb.conditions) {
    const counts = adj.counts.evidence[c.id];
    if (!counts) continue;
    for (const [eid, { present, absent }] of Object.entries(counts)) {
      const p = c.evidence[eid];
      if (p === undefined || present + absent === 0) continue;
      let q = (K * p + present) / (K + present + absent);
      const d = logit(q) - logit(p);
      if (Math.abs(d) > L) q = sigmoid(logit(p) + Math.sign(d) * L);
      if (Math.abs(q - p) > 1e-9) (likelihood[c.id] ??= {})[eid] = q;
    }
  }
  return { prior_factor, likelihood };
}

/**
 * Applies a batch of feedback rows to the current adjustments (or to empty ones) and returns new
 * adjustments; the input is not modified. Rows that cannot teach are counted in `stats.rejected`.
 */
export function applyFeedbackBatch(
  current: ModelAdjustments | null | undefined,
  rows: FeedbackRow[],
  kb: KnowledgeBase = getKnowledgeBase(),
): ModelAdjustments {
  const base = current ?? emptyAdjustments(kb);
  const adj: ModelAdjustments = structuredClone(base);
  const applied = new Set(adj.applied_sessions);
  const conditions = new Map(kb.conditions.map((c) => [c.id, c]));
  const evidenceItems = new Map(kb.evidence.map((e) => [e.id, e]));
  const reject = (r: RejectReason) => {
    adj.stats.rejected[r] = (adj.stats.rejected[r] ?? 0) + 1;
  };

  for (const row of rows) {
    if (typeof row !== 'object' || row === null || typeof row.session_id !== 'string' || typeof row.user_id !== 'string' || typeof row.helpful !== 'boolean') {
      reject('malformed');
      continue;
    }
    if (applied.has(row.session_id)) {
      reject('duplicate_session');
      continue;
    }
    applied.add(row.session_id);
    if (row.helpful) adj.stats.helpful++;
    else adj.stats.not_helpful++;
    const cid = row.actual_condition;
    if (!cid) {
      reject('no_actual_condition');
      continue;
    }
    const cond = conditions.get(cid);
    if (!cond) {
      reject('unknown_condition');
      continue;
    }
    const used = adj.user_votes[row.user_id] ?? 0;
    if (used >= adj.params.max_votes_per_user) {
      reject('user_cap');
      continue;
    }
    const votedFor = adj.user_conditions[row.user_id] ?? [];
    if (votedFor.includes(cid)) {
      reject('user_condition_cap');
      continue;
    }

    const w = row.verified ? adj.params.verified_weight : adj.params.unverified_weight;
    adj.user_votes[row.user_id] = used + 1;
    adj.user_conditions[row.user_id] = [...votedFor, cid];
    adj.counts.total += w;
    adj.counts.condition[cid] = (adj.counts.condition[cid] ?? 0) + w;
    const ev = row.evidence && typeof row.evidence === 'object' ? row.evidence : {};
    for (const [eid, s] of Object.entries(ev)) {
      if (!(eid in cond.evidence) || (s !== 'present' && s !== 'absent')) continue;
      const item = evidenceItems.get(eid);
      if (item?.parent && ev[item.parent] !== 'present') continue; // child likelihoods are conditional
      const byCond = (adj.counts.evidence[cid] ??= {});
      const cnt = (byCond[eid] ??= { present: 0, absent: 0 });
      cnt[s] += w;
    }
    adj.stats.accepted++;
  }
  adj.applied_sessions = [...applied];
  const derived = deriveAdjustments(kb, adj);
  adj.prior_factor = derived.prior_factor;
  adj.likelihood = derived.likelihood;
  return adj;
}

/** Validates feedback from the API before it is stored (the HTTP layer calls this). */
export function validateFeedback(fb: { actual_condition?: unknown; helpful?: unknown; rating?: unknown }, kb: KnowledgeBase = getKnowledgeBase()): void {
  if (typeof fb !== 'object' || fb === null) throw new SymptomCheckerError('INVALID_FEEDBACK', 'Feedback must be an object.');
  if (typeof fb.helpful !== 'boolean') throw new SymptomCheckerError('INVALID_FEEDBACK', 'helpful must be a boolean.', 'helpful');
  if (fb.actual_condition !== undefined && fb.actual_condition !== null) {
    if (typeof fb.actual_condition !== 'string' || !kb.conditions.some((c) => c.id === fb.actual_condition)) {
      throw new SymptomCheckerError(
        'INVALID_FEEDBACK',
        `actual_condition ${String(fb.actual_condition)} is not a condition of the knowledge base.`,
        'actual_condition',
      );
    }
  }
  if (fb.rating !== undefined && fb.rating !== null && !(typeof fb.rating === 'number' && Number.isInteger(fb.rating) && fb.rating >= 1 && fb.rating <= 5)) {
    throw new SymptomCheckerError('INVALID_FEEDBACK', 'rating must be an integer 1–5.', 'rating');
  }
}

/** Human-readable summary for admin review: the largest prior and likelihood changes. */
export function summariseAdjustments(adj: ModelAdjustments, kb: KnowledgeBase = getKnowledgeBase(), limit = 20) {
  const names = new Map(kb.conditions.map((c) => [c.id, c]));
  const priors = Object.entries(adj.prior_factor)
    .map(([id, factor]) => ({ condition: id, name: names.get(id)?.name ?? id, factor, votes: adj.counts.condition[id] ?? 0 }))
    .sort((a, b) => Math.abs(Math.log(b.factor)) - Math.abs(Math.log(a.factor)))
    .slice(0, limit);
  const likelihoods = Object.entries(adj.likelihood)
    .flatMap(([cid, m]) => Object.entries(m).map(([eid, p]) => ({ condition: cid, evidence: eid, from: names.get(cid)?.evidence[eid] ?? NaN, to: p })))
    .sort((a, b) => Math.abs(b.to - b.from) - Math.abs(a.to - a.from))
    .slice(0, limit);
  return { kb_version: adj.kb_version, total_votes: adj.counts.total, users: Object.keys(adj.user_votes).length, stats: adj.stats, priors, likelihoods };
}
