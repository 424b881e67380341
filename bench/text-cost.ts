/**
 * Worst-case cost of one request's text on the event loop (issue 11 item 8): the symptom checker's
 * largest start (2,000 characters of dense clinical text; 30 unrecognisable symptom strings) and the
 * emergency detector on the longest text it reads (MAX_INPUT_CHARS) and on a long chat message.
 * `npx tsx bench/text-cost.ts` — min and max of 5 runs after a warm-up, in milliseconds.
 */
import { startInterview } from '../src/modules/symptom-checker/index.js';
import { detectEmergency } from '../src/modules/emergency/index.js';
import { loadDictionary } from '../src/modules/clinical-text/index.js';
loadDictionary();
const words = 'pain chest headache fever cough rash swollen bleeding dizzy vomiting sick breathless numb weak arm leg baby pregnant tired'.split(' ');
const rnd = (n: number) => Array.from({ length: n }, (_, i) => words[(i * 7 + 3) % words.length] + (i % 5 === 0 ? ',' : '')).join(' ');
const junk = (n: number) => Array.from({ length: n }, (_, i) => 'qzxv' + (i % 97).toString(36) + 'blorp').join(' ');
const cases: [string, () => void][] = [
  ['checker text 2000 medical', () => startInterview({ age: 40, sex: 'female', text: rnd(400).slice(0, 2000) }, { detectEmergency })],
  [
    'checker 30 unrecognisable symptoms',
    () =>
      startInterview(
        { age: 40, sex: 'female', symptoms: Array.from({ length: 30 }, () => junk(20).slice(0, 200)), text: junk(300).slice(0, 2000) },
        { detectEmergency },
      ),
  ],
  ['detector 6000 (MAX_INPUT_CHARS) medical', () => detectEmergency(rnd(1200).slice(0, 6000))],
  ['detector 64 KB chat message (read up to MAX_INPUT_CHARS)', () => detectEmergency(rnd(13000).slice(0, 65536))],
  ['detector 4000 medical', () => detectEmergency(rnd(800).slice(0, 4000))],
];
for (const [name, f] of cases) {
  f();
  const t: number[] = [];
  for (let i = 0; i < 5; i++) {
    const t0 = performance.now();
    f();
    t.push(performance.now() - t0);
  }
  console.log(name, 'min', Math.min(...t).toFixed(1), 'max', Math.max(...t).toFixed(1), 'ms');
}
