import { test } from 'node:test';
import assert from 'node:assert/strict';
import { detectEmergency, explainEmergency, MAX_INPUT_CHARS } from './detector.js';
import { evaluateEmergencyDetector } from './eval.js';
import { CONCEPTS, RULES } from './lexicon.js';
import * as api from './index.js';

function flagged(text: string): boolean {
  return detectEmergency(text).is_emergency;
}

function assertEmergency(text: string, category?: string): void {
  const r = detectEmergency(text);
  assert.equal(r.is_emergency, true, `expected an emergency: ${text}\n${JSON.stringify(explainEmergency(text))}`);
  if (category) {
    assert.ok(
      r.matched.some((m) => m.category === category),
      `expected category ${category} for: ${text}; got ${r.matched.map((m) => m.category).join(',')}`,
    );
  }
}

function assertNotEmergency(text: string): void {
  const r = detectEmergency(text);
  assert.equal(r.is_emergency, false, `expected no emergency: ${text}\n${JSON.stringify(r.matched)}`);
}

test('result shape: level, matched spans into the original text, advice', () => {
  const text = 'I have CRUSHING chest pain going down my left arm';
  const r = detectEmergency(text);
  assert.equal(r.is_emergency, true);
  assert.equal(r.level, 'emergency_ambulance');
  assert.ok(r.advice.includes('ambulance'));
  assert.ok(r.matched.length > 0);
  for (const m of r.matched) {
    assert.equal(text.slice(m.span[0], m.span[1]), m.phrase);
    assert.equal(m.category, 'cardiac');
  }
  assert.equal(r.crisis_resources, undefined);

  const none = detectEmergency('I need to book a check-up next week');
  assert.deepEqual([none.is_emergency, none.level, none.matched], [false, 'none', []]);
  assert.ok(none.advice.length > 0);
});

test('negation: NegEx-style triggers, scopes and terminators', () => {
  assertNotEmergency('No chest pain, just a mild cough');
  assertNotEmergency("I don't have any chest pain or shortness of breath");
  assertNotEmergency('Patient denies chest pain, palpitations or syncope.');
  assertNotEmergency('free of chest pain since starting the new tablets');
  assertNotEmergency('negative for meningitis; no fever and no stiff neck');
  assertNotEmergency('I have never had a seizure in my life');
  assertNotEmergency("He's not unconscious, he's awake and talking normally");
  assertNotEmergency("my throat isn't swelling, it's just sore");
  assertNotEmergency("I'm not suicidal, just stressed about exams");
  assertNotEmergency('Chest pain was ruled out as cardiac, the doctor said it is muscular');
  // terminators end the negation scope
  assertEmergency("I don't have a fever, but I can't breathe", 'breathing');
  assertEmergency('no cough and my face is drooping on one side', 'stroke');
  assertEmergency('No fever but my neck is very stiff and the rash does not fade under a glass', 'meningitis');
  // negations inside a concept do not negate it, or the next one
  assertEmergency("he isn't breathing", 'breathing');
  assertEmergency("she won't wake up", 'unconscious');
  assertEmergency("my 2 month old isn't feeding and is very sleepy", 'infant');
  assertEmergency('he is not moving and not breathing', 'breathing');
  assertEmergency("I don't want to be alive anymore", 'self_harm');
  assertNotEmergency("I don't want to die, I'm just scared of the operation");
  // pseudo-negations
  assertEmergency("Severe pressure in the centre of my chest, it's not going away", 'cardiac');
  assertEmergency("not sure what's happening but I'm vomiting blood", 'bleeding');
  assertEmergency('oh no my son is choking', 'breathing');
});

test('past history is not a present emergency', () => {
  assertNotEmergency('I had a heart attack in 2019, can I take ibuprofen?');
  assertNotEmergency('history of stroke, need a repeat prescription of clopidogrel');
  assertNotEmergency('I had a seizure as a child but none since');
  assertNotEmergency('previous anaphylaxis to penicillin, please note it on my record');
  assertNotEmergency('I used to self harm as a teenager');
  assertNotEmergency('Last year I had an anaphylactic reaction to wasp stings, I need to renew my epipen');
  assertNotEmergency('After my overdose two years ago I started counselling');
  // recent times are not history
  assertEmergency('I took a whole bottle of paracetamol an hour ago', 'overdose');
  assertEmergency('face drooping arm weak speech slurred started 10 minutes ago', 'stroke');
  // an old event does not hide a new one
  assertEmergency('Had a heart attack in 2015 and now I have crushing chest pain again', 'cardiac');
});

test('hypothetical, educational, generic and figurative text', () => {
  assertNotEmergency('What are the signs of a stroke?');
  assertNotEmergency('What should I do if my child has a seizure?');
  assertNotEmergency('If I ever can’t breathe should I use my inhaler twice?');
  assertNotEmergency('in case of an allergic reaction where should I keep the epipen');
  assertNotEmergency('Should I worry if I get chest pain when I exercise?');
  assertNotEmergency('Can anxiety make you feel like you can’t breathe?');
  assertNotEmergency('Is chest pain always a heart attack?');
  assertNotEmergency(
    "I'm writing an essay on stroke: the FAST acronym stands for face drooping, arm weakness, speech difficulty and time to call emergency services.",
  );
  assertNotEmergency('Meningitis symptoms include a stiff neck, fever and a rash that does not fade under a glass.');
  assertNotEmergency('Do you treat people who have had a stroke?');
  assertNotEmergency('That exam nearly gave me a heart attack');
  assertNotEmergency('the new cheeseburger is a heart attack on a plate');
  assertNotEmergency("I'm choking on all this paperwork lol");
  assertNotEmergency('what a stroke of luck getting an appointment today');
  assertNotEmergency('my cat is choking on a hairball, is there a vet on call?');
  // the first-person statement inside "educational-looking" text still counts
  assertEmergency('I read an article about depression. I want to kill myself.', 'self_harm');
});

test('third party: an old illness is not an emergency, one happening now is', () => {
  assertNotEmergency('My dad had a stroke years ago and now needs a physio appointment');
  assertNotEmergency('My grandmother died of a heart attack, am I at higher risk?');
  assertNotEmergency('Can my dad still drive after his heart attack?');
  assertNotEmergency('my brother had a seizure last month and is seeing a neurologist tomorrow');
  assertNotEmergency('My cousin committed suicide three years ago and I still think about it');
  const r = detectEmergency("my dad is clutching his chest and can't breathe");
  assert.equal(r.level, 'emergency_ambulance');
  assertEmergency('I think my wife is having a stroke', 'stroke');
  assertEmergency('my friend just texted me that she wants to kill herself', 'self_harm');
  assertEmergency('Someone collapsed in the street and isn’t breathing, what do I do', 'breathing');
});

test('typos, lowercase, missing punctuation and joined words', () => {
  assertEmergency('cant breath please help', 'breathing');
  assertEmergency('CAN’T BREATHE', 'breathing');
  assertEmergency('i think im having a hart attack', 'cardiac');
  assertEmergency('chestpain and sweating for 20 mins now', 'cardiac');
  assertEmergency('im feeling suicidel', 'self_harm');
  assertEmergency('my friend is unconcious', 'unconscious');
  assertEmergency('siezure happening now what do i do', 'seizure');
  assertEmergency('slurred speach and face droop', 'stroke');
  assertEmergency('help my dad fell down he isnt breathing', 'breathing');
  assertEmergency('i think im having an anafylaxis', 'anaphylaxis');
  // fuzzy matching stays away from everyday words
  assertNotEmergency('I was cooking dinner and my phone keeps dropping calls');
  assertNotEmergency('my steak was overdone');
});

test('self-harm answers carry crisis resources and supportive advice', () => {
  for (const text of [
    'I want to kill myself',
    'i just want to end it all',
    'everyone would be better off without me',
    'I have a plan to hang myself',
    'i dont see the point in living anymore',
  ]) {
    const r = detectEmergency(text);
    assert.equal(r.is_emergency, true, text);
    assert.ok(
      r.matched.some((m) => m.category === 'self_harm'),
      text,
    );
    assert.ok(r.crisis_resources, text);
    const contacts = r.crisis_resources.map((c) => `${c.name} ${c.contact}`).join(' | ');
    assert.match(contacts, /988/);
    assert.match(contacts, /116 123/);
    assert.match(contacts, /112/);
    assert.match(contacts, /911/);
    assert.match(contacts, /999/);
    assert.match(r.advice, /988/);
    assert.match(r.advice, /not (?:have to )?(?:go through this )?alone|deserve support/i);
  }
  // a plan or an act in progress is an ambulance case
  assert.equal(detectEmergency("I'm going to take all my pills tonight so I never wake up").level, 'emergency_ambulance');
  assert.equal(detectEmergency('I cut myself tonight and it is deep').level, 'emergency_ambulance');
  // no crisis block for a past, resolved history
  const past = detectEmergency("I attempted suicide when I was 19, I'm doing well now and want to talk about therapy");
  assert.equal(past.is_emergency, false);
  assert.equal(past.crisis_resources, undefined);
});

test('every category is detected', () => {
  const cases: [string, string][] = [
    ['crushing chest pain spreading to my jaw', 'cardiac'],
    ["my mum's face is drooping on one side and her speech is slurred", 'stroke'],
    ['her lips are turning blue and she is gasping for air', 'breathing'],
    ['got stung by a bee and my tongue is swelling up', 'anaphylaxis'],
    ["I cut my leg and it won't stop bleeding", 'bleeding'],
    ['my grandmother collapsed on the floor and is unresponsive', 'unconscious'],
    ['my son is having a seizure right now', 'seizure'],
    ['my daughter has a fever and a stiff neck', 'meningitis'],
    ['I want to end my life', 'self_harm'],
    ['my 3 year old drank bleach', 'overdose'],
    ["I'm 34 weeks and I haven't felt the baby move since yesterday", 'pregnancy'],
    ['my 6 week old baby has a temperature of 38.5', 'infant'],
    ['my daughter hit her head and has been sick twice', 'head_injury'],
    ['worst headache of my life, came on suddenly', 'thunderclap_headache'],
    ['chemical burn on my face from drain cleaner', 'burns'],
    ['sudden severe pain in my testicle', 'testicular_torsion'],
    ['type 1 diabetic and my ketones are high', 'dka'],
    ['my diabetic dad is confused and his blood sugar is 1.8', 'hypoglycaemia'],
    ['fever, shivering and my skin is mottled', 'sepsis'],
    ['sudden agonising stomach pain and my belly is rock hard', 'acute_abdomen'],
    ['please call an ambulance', 'explicit_request'],
  ];
  const seen = new Set<string>();
  for (const [text, category] of cases) {
    assertEmergency(text, category);
    seen.add(category);
  }
  for (const rule of RULES) assert.ok(seen.has(rule.category), `no test for category ${rule.category}`);
});

test('single weak words do not fire on their own', () => {
  assertNotEmergency('I have a stiff neck from sleeping awkwardly');
  assertNotEmergency("I'm pregnant and have a bit of back ache");
  assertNotEmergency('my 5 month old has a slight fever after her jabs');
  assertNotEmergency('My lip is swollen from a cold sore');
  assertNotEmergency('I feel a bit short of breath when I climb stairs');
  assertNotEmergency('I burnt my finger on the oven, it is a small blister');
  assertNotEmergency('I think I have food poisoning, I have been vomiting since last night');
  assertNotEmergency('Could I have a repeat prescription for my seizure medication please');
  // uncomplicated chest pain, or pain that has settled, is a 24-hour review rather than 999
  assert.equal(detectEmergency('I had chest pain yesterday but it is completely gone now').level, 'consultation_24');
});

test('lexicon: stable, unique ids; every rule refers to known concepts', () => {
  const ids = new Set(CONCEPTS.map((c) => c.id));
  assert.equal(ids.size, CONCEPTS.length);
  const ruleIds = new Set(RULES.map((r) => r.id));
  assert.equal(ruleIds.size, RULES.length);
  for (const r of RULES) {
    assert.match(r.id, /^[a-z_]+\.[a-z_0-9]+$/);
    assert.ok(r.id.startsWith(`${r.category}.`));
    for (const c of r.all) assert.ok(ids.has(c), `${r.id} refers to unknown concept ${c}`);
  }
});

test('bad and large input', () => {
  assert.equal(detectEmergency('').level, 'none');
  assert.equal(detectEmergency('   \n\t ').level, 'none');
  assert.equal(detectEmergency(undefined as unknown as string).level, 'none');
  assert.equal(detectEmergency('🙂🙂🙂 ???!!! ...').level, 'none');
  const big = 'I have a mild cough and a runny nose. '.repeat(5000);
  const t0 = performance.now();
  const r = detectEmergency(big + "I can't breathe");
  const ms = performance.now() - t0;
  assert.equal(r.level, 'none', 'text beyond MAX_INPUT_CHARS is not analysed');
  assert.ok(big.length > MAX_INPUT_CHARS);
  assert.ok(ms < 2000, `large input took ${ms} ms`);
  const early = detectEmergency("I can't breathe. " + big);
  assert.equal(early.is_emergency, true);
  assert.deepEqual(early.matched[0]!.span, [2, 15]); // "can't breathe"
  // Offsets survive characters that change length when lowercased.
  const odd = 'İİİ my dad is not breathing';
  const m = detectEmergency(odd).matched[0]!;
  assert.equal(odd.slice(m.span[0], m.span[1]), m.phrase);
  assert.equal(m.phrase, 'is not breathing');
});

test('evaluation over eval/messages.json meets the goals (recall 100 %, FPR <= 5 %)', () => {
  const r = evaluateEmergencyDetector();
  assert.ok(r.total >= 200);
  assert.equal(r.positives + r.negatives, r.total);
  assert.ok(r.positives >= 90 && r.negatives >= 100);
  assert.deepEqual(r.falseNegatives, []);
  assert.equal(r.recall, 1);
  assert.ok(r.falsePositiveRate <= 0.05, `FPR ${r.falsePositiveRate}: ${r.falsePositives.join(' | ')}`);
});

test('index re-exports the public API', () => {
  assert.equal(api.detectEmergency, detectEmergency);
  assert.equal(api.evaluateEmergencyDetector, evaluateEmergencyDetector);
  assert.equal(flagged('I can’t breathe'), true);
});
