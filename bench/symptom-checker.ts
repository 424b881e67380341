/**
 * Symptom-checker step latency with the full knowledge base.
 *   npx tsx bench/symptom-checker.ts [iterations]
 * Measures startInterview (text mapping + posterior + question choice) and one answer() step
 * (posterior + triage + expected-information-gain over every candidate question), p50/p99.
 */
import { answer, startInterview } from '../src/modules/symptom-checker/interview.js';
import type { InterviewResult } from '../src/modules/symptom-checker/interview.js';
import { getKnowledgeBase } from '../src/modules/symptom-checker/kb/loader.js';

const N = Number(process.argv[2] ?? 2000);
const kb = getKnowledgeBase();
const inputs = [
  { age: 62, sex: 'male', text: 'crushing chest pain and sweating' },
  { age: 28, sex: 'female', text: 'runny nose, sore throat and a cough for two days' },
  { age: 45, sex: 'female', symptoms: ['headache', 'nausea'] },
  { age: 3, sex: 'male', text: 'earache and a temperature' },
  { age: 70, sex: 'female', symptoms: ['tummy pain', 'vomiting'], text: 'no diarrhoea' },
  { age: 33, sex: 'male', symptoms: ['back pain'] },
] as const;

function pctl(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
}

// Pre-compute mid-interview states (after 0–6 answers) to time answer() at different depths.
const states: InterviewResult[] = [];
for (const inp of inputs) {
  let r = startInterview({ ...inp } as never);
  for (let k = 0; k < 7 && r.question; k++) {
    states.push(r);
    const q = r.question;
    r = answer(r.state, { question_id: q.id, value: q.type === 'yes_no' ? (k % 2 ? 'present' : 'absent') : q.options![1]!.id });
  }
}

// warm-up
for (let i = 0; i < 200; i++) startInterview({ ...inputs[i % inputs.length] } as never);

const startT: number[] = [];
const stepT: number[] = [];
for (let i = 0; i < N; i++) {
  const t0 = performance.now();
  startInterview({ ...inputs[i % inputs.length] } as never);
  startT.push(performance.now() - t0);
  const s = states[i % states.length]!;
  const q = s.question!;
  const t1 = performance.now();
  answer(s.state, { question_id: q.id, value: q.type === 'yes_no' ? 'absent' : 'unknown' });
  stepT.push(performance.now() - t1);
}
const f = (x: number) => `${x.toFixed(3)} ms`;
console.log(`symptom checker: ${kb.conditions.length} conditions, ${kb.evidence.length} evidence items, ${N} iterations, node ${process.version}`);
console.log(`  startInterview   p50 ${f(pctl(startT, 50))}  p99 ${f(pctl(startT, 99))}  max ${f(Math.max(...startT))}`);
console.log(`  answer (1 step)  p50 ${f(pctl(stepT, 50))}  p99 ${f(pctl(stepT, 99))}  max ${f(Math.max(...stepT))}`);
